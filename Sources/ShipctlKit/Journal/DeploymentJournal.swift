import Foundation

/// The one place a deployment's story is told. The engine emits each moment once, as a `DeploymentEvent`;
/// the audit log (through `DeploymentRecorder`: redacted, chained, spooled) and every reader — the
/// reporter first — get that same event. An action is announced before it is taken: its intent is durable
/// in the log before the call (write-ahead), its result follows, ok or failed with the error.
public struct DeploymentJournal: Sendable {
    /// The audit log's writer; it writes nothing in a dry run, which has no store.
    public let log: DeploymentRecorder
    public let readers: [any JournalReader]
    /// The deployment's trace, when one is exported: a reader too, and the span each action's processes get.
    let trace: DeploymentTrace?

    public init(log: DeploymentRecorder, readers: [any JournalReader]) {
        self.init(log: log, readers: readers, trace: nil)
    }

    init(log: DeploymentRecorder, readers: [any JournalReader], trace: DeploymentTrace?) {
        self.log = log
        self.readers = readers
        self.trace = trace
    }

    public var deployment: String { log.deployment }
    public var scope: StateScope { log.scope }
    public var lockHolder: LockHolder? { log.lockHolder }

    /// How an event's records reach the log.
    public enum Delivery: Sendable {
        /// Written before anything else happens; when the log cannot take it, the deployment stops there.
        case required
        /// For what is taken regardless of the log (putting traffic back while the team database restarts,
        /// the flags beside it, the end of a deployment): a record the log cannot take now waits in the
        /// spool; the readers hear so, starting with `regardless`.
        case kept(regardless: String)
        /// `rollback`, the way out when everything else is stuck: written if the log answers, else kept in
        /// the spool without asking the log again; the readers hear so and the rollback goes on.
        case bestEffort
    }

    /// Something that happened.
    public func emit(_ event: DeploymentEvent, delivery: Delivery = .required) async throws(ShipctlError) {
        let entry = entry(event, .happened)
        try await write(entry, delivery)
        tell(entry)
    }

    /// Announces `event`, performs `body` (handed the intent record, nil when none was written), and
    /// records how it ended.
    @discardableResult
    public func performing<T: Sendable>(
        _ event: DeploymentEvent, delivery: Delivery = .required,
        _ body: (AuditRecord?) async throws(ShipctlError) -> T
    ) async throws(ShipctlError) -> T {
        try await perform(event, delivery: delivery, completed: { _ in event }, body)
    }

    /// The same, for an action whose answer the readers are told of: `completed` makes the event they
    /// hear at its end (the split a shift left) from that answer.
    @discardableResult
    public func performing<T: Sendable>(
        _ event: DeploymentEvent, delivery: Delivery = .required, completed: (T) -> DeploymentEvent,
        _ body: (AuditRecord?) async throws(ShipctlError) -> T
    ) async throws(ShipctlError) -> T {
        try await perform(event, delivery: delivery, completed: completed, body)
    }

    private func perform<T: Sendable>(
        _ event: DeploymentEvent, delivery: Delivery, completed: (T) -> DeploymentEvent,
        _ body: (AuditRecord?) async throws(ShipctlError) -> T
    ) async throws(ShipctlError) -> T {
        let announced = entry(event, .announced)
        let intent = try await write(announced, delivery)
        tell(announced)
        let started = ContinuousClock.now
        do {
            let value = try await TraceContext.within(trace?.context(of: announced)) { () throws(ShipctlError) in
                try await body(intent)
            }
            let done = entry(completed(value), .done(durationMs: (ContinuousClock.now - started).milliseconds))
            try await write(done, delivery)
            tell(done)
            return value
        } catch {
            // Redacted before the cut, which could otherwise leave half a secret unrecognised.
            let why = String(log.redactor.redact(error.description).prefix(2000))
            let failed = entry(event, .failed(error: why, durationMs: (ContinuousClock.now - started).milliseconds))
            _ = try? await write(failed, delivery)
            tell(failed)
            throw error
        }
    }

    private func entry(_ event: DeploymentEvent, _ stage: JournalEntry.Stage) -> JournalEntry {
        JournalEntry(deployment: deployment, service: scope.service, env: scope.env, event: event, stage: stage)
    }

    private func tell(_ entry: JournalEntry) {
        for reader in readers { reader.read(entry) }
        trace?.read(entry)
    }

    /// The entry's records, as its delivery asks; the last one written, for an intent a witness cites.
    @discardableResult
    private func write(_ entry: JournalEntry, _ delivery: Delivery) async throws(ShipctlError) -> AuditRecord? {
        var written: AuditRecord?
        for event in entry.auditEvents {
            switch delivery {
            case .required:
                written = try await log.record(event)
            case .kept(let regardless):
                await log.recordOrKeep(event) { tell(self.entry(.logUnwritten("\(regardless): \($0)"), .happened)) }
            case .bestEffort:
                written = await log.recordOrKeepQuickly(event) { tell(self.entry(.logUnwritten($0), .happened)) }
            }
        }
        return written
    }
}
