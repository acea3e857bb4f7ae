import Foundation
import ShipctlKit

/// The state store in memory: the same hash chain as the real stores (so
/// `verify` means something), locks that refuse a second holder, and the
/// records readable at once. For engine tests that need no disk.
public final class InMemoryStateStore: StateStore, @unchecked Sendable {
    private let lock = NSLock()
    private let actor: Actor
    private var lines: [String] = []
    private var locks: [StateScope: LockHolder] = [:]
    private var lastHash = AuditRecord.genesis
    private var refusing = false
    private var refusingFrom: String?

    public init(actor: Actor = Actor(name: "test", run: nil)) {
        self.actor = actor
    }

    public var location: String { "memory" }
    public var spansMachines: Bool { false }

    /// The records appended so far, oldest first.
    public var all: [AuditRecord] { lock.withLock { lines.compactMap { AuditLine($0).record } } }

    /// `action phase` of each record, e.g. `traffic.revert intent`.
    public var actions: [String] { all.map { "\($0.action) \($0.phase.rawValue)" } }

    /// From now on every append fails, as a team database that went away does (or, with false, works again).
    public func refuseAppends(_ refuse: Bool) {
        lock.withLock {
            refusing = refuse
            if !refuse { refusingFrom = nil }
        }
    }

    /// Every append fails from the first record of `action` on: the database goes away just then.
    public func refuseAppends(from action: String) {
        lock.withLock { refusingFrom = action }
    }

    @discardableResult
    public func append(_ event: AuditEvent) async throws(ShipctlError) -> AuditRecord {
        let refused = lock.withLock { () -> Bool in
            if event.action == refusingFrom { refusing = true }
            return refusing
        }
        if refused { throw .runtime("cannot reach the state database memory") }
        return lock.withLock {
            let (record, line) = AuditRecord.make(
                event: event, seq: Int64(lines.count + 1), prev: lastHash, actor: (event.actor ?? actor).name,
                run: (event.actor ?? actor).run,
                now: Date())
            lines.append(line)
            lastHash = record.hash
            return record
        }
    }

    public func history(_ scope: StateScope) async throws(ShipctlError) -> DeploymentHistory {
        var history = DeploymentHistory(target: scope.target)
        for line in lock.withLock({ lines }).map(AuditLine.init)
        where line.field("service") == scope.service && line.field("env") == scope.env {
            history.add(line)
        }
        return history
    }

    public func scan(_ visit: (AuditLine) throws(ShipctlError) -> Void) async throws(ShipctlError) -> AuditVerification
    {
        var verifier = ChainVerifier()
        for line in lock.withLock({ lines }) {
            if let bad = verifier.check(ArraySlice(Array(line.utf8))) {
                return AuditVerification(verifier, firstBad: bad)
            }
            try visit(AuditLine(line))
        }
        return AuditVerification(verifier, firstBad: nil)
    }

    public func acquireLock(_ scope: StateScope, holder: LockHolder) async throws(ShipctlError) -> LockAcquisition {
        let current = lock.withLock { () -> LockHolder? in
            if let current = locks[scope] { return current }
            locks[scope] = holder
            return nil
        }
        if let current { throw .locked(service: scope.service, env: scope.env, holder: current.description) }
        return .acquired
    }

    public func releaseLock(_ scope: StateScope, holder: LockHolder) async {
        lock.withLock {
            if locks[scope] == holder { locks[scope] = nil }
        }
    }

    public func lockHolder(_ scope: StateScope) async -> LockHolder? {
        lock.withLock { locks[scope] }
    }
}
