import Foundation
import ShipctlKit

/// A flag backend in memory that takes every flip. With `hanging`, each `set`
/// waits until `release()` — a flag service that stopped answering — so a test
/// can see what the engine does meanwhile.
public final class ScriptedFlagStore: FlagStore, @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: String] = [:]
    private var waiting = 0
    private var released: Bool

    public init(hanging: Bool = false) {
        released = !hanging
    }

    /// Flips that are inside `set` right now, held by `hanging`.
    public var pending: Int { lock.withLock { waiting } }
    public var current: [String: String] { lock.withLock { values } }

    public func release() {
        lock.withLock { released = true }
    }

    public func read(_ flip: FlagFlip) async throws(ShipctlError) -> String? {
        lock.withLock { values[flip.displayName] }
    }

    public func set(_ flip: FlagFlip) async throws(ShipctlError) {
        lock.withLock { waiting += 1 }
        while !lock.withLock({ released }) {
            try? await Task.sleep(for: .milliseconds(2))
        }
        lock.withLock {
            waiting -= 1
            values[flip.displayName] = flip.auditArgs["value"]?.stringValue ?? ""
        }
    }
}
