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
    /// Who tells the `notify:` targets how each deployment ended; nil when the configuration names none.
    public var notifier: Notifier?

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

    /// Runs `body` with the journal of the deployment `log` writes and, once it is over however it ended,
    /// notifies the targets that asked for that ending (nothing when `notifying` is false: a dry run).
    func telling<T>(
        _ log: DeploymentRecorder, notifying: Bool = true, _ body: (DeploymentJournal) async throws(ShipctlError) -> T
    ) async throws(ShipctlError) -> T {
        let story = notifying ? notifier?.follow(log.scope.service) : nil
        var journal = journal(log)
        if let story { journal = DeploymentJournal(log: log, readers: journal.readers + [story]) }
        let result: Result<T, ShipctlError>
        do throws(ShipctlError) {
            result = .success(try await body(journal))
        } catch {
            result = .failure(error)
        }
        if let story { await notifier?.deliver(story, to: journal, actor: actor, redactor: redactor) }
        return try result.get()
    }
}
