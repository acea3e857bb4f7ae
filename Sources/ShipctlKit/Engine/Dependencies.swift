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
    /// Where each deployment's trace goes; nil unless an OTLP endpoint is set in the environment.
    public var traces: TraceExporter?
    /// Tokens printed by a `bearer_command`, kept for the whole command: every step's reads share them.
    let metricTokens = MetricTokenCache()

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
    /// notifies the targets that asked for that ending and exports its trace (neither in a dry run, when
    /// `following` is false). Both come after the revert and the end record, and neither changes the outcome.
    func telling<T>(
        _ log: DeploymentRecorder, following: Bool = true, _ body: (DeploymentJournal) async throws(ShipctlError) -> T
    ) async throws(ShipctlError) -> T {
        let story = following ? notifier?.follow(log.scope.service) : nil
        let trace =
            following
            ? traces?.begin(deployment: log.deployment, service: log.scope.service, env: log.scope.env, actor: actor)
            : nil
        let journal = DeploymentJournal(
            log: log, readers: journal(log).readers + (story.map { [$0] } ?? []), trace: trace)
        let result: Result<T, ShipctlError>
        do throws(ShipctlError) {
            // Every process the deployment starts (terraform, a smoke `run`, the CLIs) is a child of its trace.
            result = .success(
                try await TraceContext.within(trace?.root) { () throws(ShipctlError) in try await body(journal) })
        } catch {
            result = .failure(error)
        }
        // Side by side, each with its own short deadline.
        let (notifier, traces, actor, redactor, reporter) = (notifier, traces, actor, redactor, reporter)
        await withTaskGroup(of: Void.self) { group in
            if let story, let notifier {
                group.addTask { await notifier.deliver(story, to: journal, actor: actor, redactor: redactor) }
            }
            if let trace, let traces {
                group.addTask {
                    if let warning = await traces.export(trace, redactor: redactor) { reporter.warning(warning) }
                }
            }
        }
        return try result.get()
    }
}
