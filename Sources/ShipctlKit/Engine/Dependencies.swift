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
    /// A metric source to use instead of the backends the environment's configuration names (in-process tests).
    public var metricSource: (any MetricSource)?
    /// Traffic providers by service name, used instead of the configured ones (in-process tests).
    public var trafficProviders: [String: any TrafficProvider] = [:]
    /// A flag store to use instead of the configured services (in-process tests).
    public var flagStore: (any FlagStore)?
    /// Where records of actions already taken wait while the audit log does not answer.
    public var spool: AuditSpool?

    public init(
        runner: any ProcessRunning, http: any HTTPClient, store: any StateStore, reporter: Reporter,
        actor: Actor = .current(), cancellation: CancellationState = CancellationState(),
        environment: [String: String] = [:],
        clock: EngineClock = .system, metricSource: (any MetricSource)? = nil
    ) {
        self.environment = environment
        self.metricSource = metricSource
        self.runner = runner
        self.http = http
        self.store = store
        self.reporter = reporter
        self.actor = actor
        self.cancellation = cancellation
        self.clock = clock
    }

    public var redactor: Redactor { reporter.redactor }

    /// The HTTP client for direct AWS API calls; nil under `--dry-run`, which
    /// prints the aws commands it would run instead of calling anything.
    var directAPI: (any HTTPClient)? { runner is DryRunProcessRunner ? nil : http }
}

/// Builds the traffic provider, metric source and flag store a service/env
/// uses, from the kinds its configuration names, or the replacements a test gives.
public enum ProviderFactory {
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
        if let given = dependencies.trafficProviders[service.name] { return given }
        return service.target.provider(context(config: config, env: env, dependencies: dependencies))
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
        if let given = dependencies.metricSource { return given }
        return ConfiguredMetricSource(context: context(config: config, env: env, dependencies: dependencies))
    }

    public static func flagStore(config: ShipctlConfig, env: EnvironmentConfig, dependencies: Dependencies)
        -> any FlagStore
    {
        if let given = dependencies.flagStore { return given }
        return ConfiguredFlagStore(context: context(config: config, env: env, dependencies: dependencies))
    }
}
