import Foundation

/// What the engine needs from the world, passed in so tests and `--dry-run`
/// can swap pieces: the process runner, HTTP, the state store, output, sleeping.
public struct Dependencies: Sendable {
    public var runner: any ProcessRunning
    public var http: any HTTPClient
    public var store: any StateStore
    public var reporter: Reporter
    public var clock: EngineClock
    public var actor: Actor
    public var cancellation: CancellationState
    /// The process environment: AWS credentials and endpoints for direct API calls.
    public var environment: [String: String]
    /// What builds each service's traffic provider, metric source and flag store.
    public var parts: any ServicePartBuilder
    /// Where records of actions already taken wait while the audit log does not answer.
    public var spool: AuditSpool?
    /// Who reads every deployment's journal beside the audit log and the reporter.
    public var readers: [any JournalReader] = []

    public init(
        runner: any ProcessRunning, http: any HTTPClient, store: any StateStore, reporter: Reporter,
        actor: Actor = .current(), cancellation: CancellationState = CancellationState(),
        environment: [String: String] = [:],
        clock: EngineClock = .system, parts: any ServicePartBuilder = ConfiguredParts()
    ) {
        self.environment = environment
        self.parts = parts
        self.runner = runner
        self.http = http
        self.store = store
        self.reporter = reporter
        self.actor = actor
        self.cancellation = cancellation
        self.clock = clock
    }

    public var redactor: Redactor { reporter.redactor }

    /// The journal of the deployment `log` writes: the reporter reads it first, then `readers`.
    public func journal(_ log: DeploymentRecorder) -> DeploymentJournal {
        DeploymentJournal(log: log, readers: [ReporterJournalReader(reporter: reporter)] + readers)
    }
}
