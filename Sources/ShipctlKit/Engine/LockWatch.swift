import Foundation

/// What a canary knows about its own lock: checked before each traffic call and
/// at each analysis interval (which also keeps the lock's connection from
/// sitting idle), and remembered once lost, so that no later phase moves traffic
/// on a lock another runner may hold.
final class LockWatch: @unchecked Sendable {
    private let lock = NSLock()
    private var why: String?

    /// Why the lock was lost, once it was.
    var lost: String? { lock.withLock { why } }

    /// Asks the store; a dry run (no holder) holds nothing and loses nothing.
    func check(_ store: any StateStore, _ scope: StateScope, holder: LockHolder?) async -> String? {
        if let lost { return lost }
        guard let holder else { return nil }
        guard case .lost(let reason) = await store.checkLock(scope, holder: holder) else { return nil }
        lock.withLock { if why == nil { why = reason } }
        return reason
    }
}
