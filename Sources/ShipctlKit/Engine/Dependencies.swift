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
    /// Metric sources to use instead of the ones the environment's configuration names (in-process tests).
    public var metricSources: MetricSources?
    /// Traffic providers by service name, used instead of the configured ones (in-process tests).
    public var trafficProviders: [String: any TrafficProvider] = [:]
    /// A flag store to use instead of the configured services (in-process tests).
    public var flagStore: (any FlagStore)?

    public init(runner: any ProcessRunning, http: any HTTPClient, store: any StateStore, reporter: Reporter,
                actor: Actor = .current(), cancellation: CancellationState = CancellationState(), environment: [String: String] = [:],
                clock: EngineClock = .system, metricSources: MetricSources? = nil) {
        self.environment = environment
        self.metricSources = metricSources
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

/// Builds the provider, metric sources and flag stores a service/env uses.
/// Adding a provider or a store touches this file and its own.
public enum ProviderFactory {
    public static func provider(for service: ServiceConfig, env: EnvironmentConfig, config: ShipctlConfig,
                                dependencies: Dependencies) throws(ShipctlError) -> any TrafficProvider {
        if let given = dependencies.trafficProviders[service.name] { return given }
        switch service.provider {
        case .lambda:
            guard let target = service.lambda else {
                throw .usage("service \(service.name) has `provider: lambda` but no `lambda` block")
            }
            return LambdaProvider(target: target, region: env.region, callTimeout: config.timeouts.providerCall,
                                  runner: dependencies.runner, redactor: dependencies.redactor,
                                  http: dependencies.directAPI, environment: dependencies.environment)
        case .cloudrun:
            guard let target = service.cloudrun else {
                throw .usage("service \(service.name) has `provider: cloudrun` but no `cloudrun` block")
            }
            return CloudRunProvider(target: target, callTimeout: config.timeouts.providerCall, runner: dependencies.runner,
                                    http: dependencies.http, redactor: dependencies.redactor)
        }
    }

    public static func metricSources(env: EnvironmentConfig, dependencies: Dependencies) -> MetricSources {
        if let given = dependencies.metricSources { return given }
        return MetricSources(prometheus: env.prometheus.map { PrometheusSource(baseURL: $0, http: dependencies.http) },
                      cloudwatch: CloudWatchSource(runner: dependencies.runner, region: env.region, redactor: dependencies.redactor))
    }

    public static func flagStore(config: ShipctlConfig, env: EnvironmentConfig, dependencies: Dependencies) -> any FlagStore {
        if let given = dependencies.flagStore { return given }
        return ConfiguredFlagStore(context: FlagContext(
            runner: dependencies.runner, http: dependencies.http, awsAPI: dependencies.directAPI, redactor: dependencies.redactor,
            region: env.region, environment: dependencies.environment,
            baseDirectory: URL(fileURLWithPath: config.path).deletingLastPathComponent().path))
    }
}
