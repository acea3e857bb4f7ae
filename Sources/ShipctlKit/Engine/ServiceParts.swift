import Foundation

/// What a service uses in an environment — its traffic provider, metric source, flag store, and the
/// scope its history and lock are kept under — built by `Dependencies.parts` in the environment's context.
public enum ServiceParts {
    /// What every configured kind gets from the world in `env`.
    public static func context(config: ShipctlConfig, env: EnvironmentConfig, dependencies: Dependencies)
        -> EnvironmentContext
    {
        var context = EnvironmentContext(
            runner: dependencies.runner, http: dependencies.http, awsAPI: dependencies.http,
            redactor: dependencies.redactor, region: env.region, environment: dependencies.environment)
        context.metricEndpoints = env.metricEndpoints
        context.metricAuth = env.metricAuth
        context.tokens = dependencies.metricTokens
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
