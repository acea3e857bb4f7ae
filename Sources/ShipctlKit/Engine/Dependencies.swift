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

    /// The HTTP client for direct AWS API calls; nil under `--dry-run`, which
    /// prints the aws commands it would run instead of calling anything.
    var directAPI: (any HTTPClient)? { runner is DryRunProcessRunner ? nil : http }
}

/// What a service uses in an environment — its traffic provider, metric source, flag store, and the
/// scope its history and lock are kept under — built by `Dependencies.parts` in the environment's context.
public enum ServiceParts {
    /// What every configured kind gets from the world in `env`.
    public static func context(config: ShipctlConfig, env: EnvironmentConfig, dependencies: Dependencies)
        -> EnvironmentContext
    {
        var context = EnvironmentContext(
            runner: dependencies.runner, http: dependencies.http, awsAPI: dependencies.directAPI,
            redactor: dependencies.redactor, region: env.region, environment: dependencies.environment)
        context.metricEndpoints = env.metricEndpoints
        context.baseDirectory = URL(fileURLWithPath: config.path).deletingLastPathComponent().path
        context.callTimeout = config.timeouts.providerCall
        context.now = dependencies.clock.wallNow
        return context
    }

    public static func provider(
        for service: ServiceConfig, env: EnvironmentConfig, config: ShipctlConfig,
        dependencies: Dependencies
    ) -> any TrafficProvider {
        dependencies.parts.provider(for: service, in: context(config: config, env: env, dependencies: dependencies))
    }

    /// What the history and the lock of `service` in `env` are kept for.
    public static func scope(
        for service: ServiceConfig, env: EnvironmentConfig, config: ShipctlConfig,
        dependencies: Dependencies
    ) -> StateScope {
        let target = service.target.identity(context(config: config, env: env, dependencies: dependencies))
        return StateScope(service: service.name, env: env.name, target: target)
    }

    public static func metricSource(config: ShipctlConfig, env: EnvironmentConfig, dependencies: Dependencies)
        -> any MetricSource
    {
        dependencies.parts.metricSource(in: context(config: config, env: env, dependencies: dependencies))
    }

    public static func flagStore(config: ShipctlConfig, env: EnvironmentConfig, dependencies: Dependencies)
        -> any FlagStore
    {
        dependencies.parts.flagStore(in: context(config: config, env: env, dependencies: dependencies))
    }
}
