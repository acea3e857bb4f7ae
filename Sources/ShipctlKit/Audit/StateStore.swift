import Foundation

/// Where the audit log and the per service/env/target locks live: a directory on one
/// machine (`LocalStateStore`) or a database every runner shares (the Postgres
/// store). The engine, rollback, status and previews only see this protocol.
public protocol StateStore: Sendable {
    /// Where the state is, for messages: a folder, or a database host.
    var location: String { get }
    /// False for a folder: its locks and its log stay on one machine.
    var spansMachines: Bool { get }
    /// Appends one event to the chain; it is durable when this returns.
    @discardableResult
    func append(_ event: AuditEvent) async throws(ShipctlError) -> AuditRecord
    /// The state derived from one service/env's records of its target, reading only
    /// what that needs. Records from the first one that does not verify on are not used.
    func history(_ scope: StateScope) async throws(ShipctlError) -> DeploymentHistory
    /// Hands every record that verifies to `visit`, oldest first, and stops at the
    /// first one that does not: the result names it.
    func scan(_ visit: (AuditLine) throws(ShipctlError) -> Void) async throws(ShipctlError) -> AuditVerification
    /// Takes the lock of the scope or throws `.locked` naming the holder.
    func acquireLock(_ scope: StateScope, holder: LockHolder) async throws(ShipctlError) -> LockAcquisition
    func releaseLock(_ scope: StateScope, holder: LockHolder) async
    /// Whether `holder` still holds the lock it took, asked of the lock itself (its session, its file).
    func checkLock(_ scope: StateScope, holder: LockHolder) async -> LockCheck
    /// The current holder, if any.
    func lockHolder(_ scope: StateScope) async -> LockHolder?
    /// Copies a verified chain line for line (same seq, prev and hash) into this
    /// store, which must hold no records yet (`state migrate`).
    func importChain(_ lines: [String]) async throws(ShipctlError)
    /// From now on, no step of this store waits longer than `limit` for a server
    /// or a lock held elsewhere: it fails instead (a rollback does not wait on its log).
    func limitWaits(to limit: Duration) async
    /// What `doctor` shows of the store's own layout beyond its log and locks (a database's schema version
    /// and lock table); nil for a store with nothing more to show.
    func layout() async throws(ShipctlError) -> String?
}

extension StateStore {
    public func layout() async throws(ShipctlError) -> String? { nil }

    /// Checks the whole chain.
    public func verify() async throws(ShipctlError) -> AuditVerification {
        try await scan { _ in }
    }

    /// Every record that verifies, parsed, oldest first (for `audit show` and previews).
    public func records(where include: (AuditLine) -> Bool = { _ in true }) async throws(ShipctlError) -> [AuditRecord]
    {
        var records: [AuditRecord] = []
        _ = try await scan { line in
            if include(line), let record = line.record { records.append(record) }
        }
        return records
    }

    /// A store on this machine's disk answers at once.
    public func limitWaits(to limit: Duration) async {}

    /// A lock that cannot be taken away under its holder (a file on this machine) stays held.
    public func checkLock(_ scope: StateScope, holder: LockHolder) async -> LockCheck { .held }

    public func importChain(_ lines: [String]) async throws(ShipctlError) {
        throw .usage(
            "`state migrate` copies a local log into the team backend, but this configuration keeps state in \(location)",
            hint: "set `state.url` to the PostgreSQL database in shipctl.yaml, then run it again")
    }
}
