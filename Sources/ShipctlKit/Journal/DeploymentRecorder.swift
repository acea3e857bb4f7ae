import Foundation

/// Writes one deployment's audit records for its journal (`DeploymentJournal`): redacted, naming the
/// target where it decides the history, kept in the spool when the log does not answer; in `--dry-run`
/// (no store) nothing is written.
public struct DeploymentRecorder: Sendable {
    public let deployment: String
    /// Whose records these are; the records a history is decided by name its target.
    public let scope: StateScope
    public var service: String { scope.service }
    public var env: String { scope.env }
    private let store: (any StateStore)?
    public let redactor: Redactor
    /// Who holds the deployment's lock while these records are written; nil when nothing is locked.
    public let lockHolder: LockHolder?
    /// Where records of actions already taken wait while the log does not answer.
    public let spool: AuditSpool?

    public init(
        deployment: String, scope: StateScope, store: (any StateStore)?, redactor: Redactor,
        lockHolder: LockHolder? = nil,
        spool: AuditSpool? = nil
    ) {
        self.deployment = deployment
        self.scope = scope
        self.store = store
        self.redactor = redactor
        self.lockHolder = lockHolder
        self.spool = spool
    }

    public static func newDeploymentID(service: String, env: String, kind: String = "deploy", now: Date = Date())
        -> String
    {
        let stamp = Timestamp.format(now).filter { $0.isNumber }.prefix(14)
        let suffix = String(UInt16.random(in: 0...UInt16.max), radix: 16)
        return "\(service)-\(env)-\(kind)-\(stamp)-\(suffix)"
    }

    /// Writes one record (redacted, naming the target where it decides the history); nil without a store.
    @discardableResult
    public func record(_ event: AuditEvent) async throws(ShipctlError) -> AuditRecord? {
        guard let store else { return nil }
        return try await store.append(prepared(event))
    }

    /// The event as the log gets it: redacted, and naming the target when it decides the history.
    private func prepared(_ event: AuditEvent) -> AuditEvent {
        var event = event
        event.args = event.args.mapValues(redactor.redact)
        if DeploymentHistory.decisiveActions.contains(event.action), !scope.target.isEmpty {
            event.args[StateScope.targetArgument] = .string(scope.target)
        }
        return event
    }

    /// For the record of an action already taken (a revert, the flags beside it, the end of a
    /// deployment): written to the log, or, when the log does not answer, kept in the spool until
    /// it does. Records already waiting there go first, so the log keeps their order. `unwritten`
    /// hears what became of a record that could not be written now.
    public func recordOrKeep(_ event: AuditEvent, unwritten: (String) -> Void) async {
        guard let store else { return }
        let event = prepared(event)
        var failure: ShipctlError?
        if let spool, await spool.deliver(to: store).remaining > 0 {
            failure = .runtime("records kept earlier still cannot be written")
        } else {
            do { try await store.append(event) } catch { failure = error }
        }
        guard let failure else { return }
        keep(event, failure: failure, unwritten: unwritten)
    }

    /// For a rollback, the way out when everything else is stuck: written if the log answers at once, else
    /// kept in the spool like a revert's records — after the first that could not be written, without
    /// asking the log again, so the rollback waits on it once.
    public func recordOrKeepQuickly(_ event: AuditEvent, unwritten: (String) -> Void) async -> AuditRecord? {
        guard let store else { return nil }
        let event = prepared(event)
        if let spool, spool.pendingCount(for: store.location) > 0 {
            keep(event, failure: .runtime("earlier records of this rollback wait in the spool"), unwritten: unwritten)
            return nil
        }
        do {
            return try await store.append(event)
        } catch {
            keep(event, failure: error, unwritten: unwritten)
            return nil
        }
    }

    private func keep(_ event: AuditEvent, failure: ShipctlError, unwritten: (String) -> Void) {
        guard let spool, let store else { return unwritten("the audit log cannot be written (\(failure.description))") }
        do {
            try spool.keep(event, at: Date(), log: store.location)
            unwritten(
                "the audit log cannot be written (\(failure.description)); the record waits in \(spool.path) until it answers"
            )
        } catch {
            unwritten("the audit log cannot be written (\(failure.description)), nor the spool (\(error.description))")
        }
    }
}
