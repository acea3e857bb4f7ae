import Foundation

/// Everything a command needs once the configuration is loaded: the config,
/// the redactor built from its secrets, and the real process runner, HTTP
/// client, state store and reporter.
public struct Session: Sendable {
    public let config: ShipctlConfig
    public let dependencies: Dependencies

    /// Loads the configuration and teaches `reporter`'s redactor its secrets
    /// (even when loading fails), so every later line, the last error included, hides them.
    public static func open(
        configPath: String, reporter: Reporter, backends: StateBackends = .localOnly,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ShipctlError) -> Session {
        let config = try ConfigLoader(environment: environment).load(path: configPath, teaching: reporter.redactor)
        for warning in config.warnings { reporter.warning(warning.description) }
        let store = try backends.open(config, actor: .current(environment: environment), environment: environment)
        var dependencies = Dependencies(
            runner: SystemProcessRunner(environment: environment), http: URLSessionHTTPClient(),
            store: store, reporter: reporter, actor: .current(environment: environment), environment: environment)
        dependencies.spool = AuditSpool.beside(
            configPath: config.path, environment: dependencies.environment, actor: dependencies.actor)
        dependencies.notifier = Notifier(config: config, http: dependencies.http, environment: environment)
        dependencies.traces = TraceExporter(environment: environment, http: dependencies.http)
        for secret in dependencies.traces?.settings.secrets ?? [] { reporter.redactor.learn(secret) }
        return Session(config: config, dependencies: dependencies)
    }

    public var reporter: Reporter { dependencies.reporter }

    /// The service and environment a command acts on, or a usage error naming what exists.
    public func target(service: String, env: String) throws(ShipctlError) -> (ServiceConfig, EnvironmentConfig) {
        (try self.service(service), try environment(env))
    }

    /// The services and environments a command over several acts on: the one named, or all of them.
    public func selection(service: String?, env: String?) throws(ShipctlError) -> (
        services: [ServiceConfig], envs: [EnvironmentConfig]
    ) {
        let services = try service.map { name throws(ShipctlError) in [try self.service(name)] } ?? config.services
        let envs =
            try env.map { name throws(ShipctlError) in [try environment(name)] }
            ?? config.environments.values.sorted { $0.name < $1.name }
        return (services, envs)
    }

    public func service(_ name: String) throws(ShipctlError) -> ServiceConfig {
        guard let service = config.service(named: name) else {
            throw .usage(
                "no service `\(name)` in \(config.path)",
                hint: "services there: \(config.services.map(\.name).joined(separator: ", "))")
        }
        return service
    }

    public func environment(_ name: String) throws(ShipctlError) -> EnvironmentConfig {
        guard let env = config.environments[name] else {
            throw .usage(
                "no environment `\(name)` in \(config.path)",
                hint: "environments there: \(config.environments.keys.sorted().joined(separator: ", "))")
        }
        return env
    }
}
