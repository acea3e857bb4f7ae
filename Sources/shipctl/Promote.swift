import ArgumentParser
import ShipctlKit

struct Promote: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Apply terraform, then shift traffic to the new version step by step, reverting by itself if a gate fails.",
        discussion: """
            Runs the service's terraform (if it has a `terraform` block), picks the version (--version, the terraform \
            output named by `version_output`, or a freshly published one), runs the smoke tests against it, then each \
            canary step: shift, smoke, watch the metrics for the pause. Any failed gate puts all traffic back on the \
            stable version, flips the `on_failure` flags and exits 3.

            Several services (--service repeated, or --all) run at once, at most --max-parallel at a time, each with \
            its own lock and audit records; their lines carry the service name. The exit code is the worst: 3 if any \
            canary was rolled back, else 1 if any service failed otherwise, else 0. Give each its version as \
            SERVICE=VERSION.

            SIGINT or SIGTERM (a cancelled CI job) reverts every canary in flight and exits 130/143; with --on-cancel \
            hold the splits stay as they are and the deployments wait for `shipctl resume` or `shipctl abort`. A \
            deployment whose process was killed makes the next promote exit 5 with both ways on.

            Examples:
              shipctl promote --service api --env prod
              shipctl promote --all --env prod --version api=12 --version web=web-00003-xyz
            """
    )

    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("service"), help: "A service to promote, as named under `services`; repeat for several.")
    var services: [String] = []
    @Flag(help: "Promote every service in the configuration.") var all = false
    @Option(help: "The environment, as named under `environments`.") var env: String
    @Option(
        name: .customLong("version"),
        help:
            "The version to promote (default: terraform's version_output, else publish a new one); with several services, SERVICE=VERSION, repeated."
    )
    var versions: [String] = []
    @Option(help: "With several services, how many canaries run at once.") var maxParallel: Int = PromoteFanOut
        .defaultParallel
    @Flag(help: "Print every command that would change something, and change nothing.") var dryRun = false
    @Flag(help: "Apply a terraform plan even when it destroys or replaces resources.") var yes = false
    @Option(help: "On SIGINT/SIGTERM: revert to stable, or hold the split for a later resume/abort.") var onCancel:
        OnCancel = .revert

    func run() async throws {
        try await runReportingErrors(json: global.json) { reporter throws(ShipctlError) in
            let options = PromoteOptions(dryRun: dryRun, yes: yes, holdOnCancel: onCancel == .hold)
            if services.count == 1, !all {
                let (session, engine) = try canaryEngine(global, reporter, service: services[0], env: env)
                var single = options
                single.version = try versionForOneService(services[0])
                let chosen = single
                _ = try await runCancellable(session, onCancel: onCancel) { () async throws(ShipctlError) in
                    try await engine.promote(chosen).succeeded()
                }
                return
            }
            let session = try Session.open(global, reporter)
            let (chosen, environment) = try targets(session)
            let fanOut = PromoteFanOut(
                config: session.config, env: environment, dependencies: session.dependencies, maxParallel: maxParallel)
            let perService = try versionsPerService(chosen)
            _ = try await runCancellable(session, onCancel: onCancel) { () async throws(ShipctlError) in
                try await fanOut.promote(chosen, versions: perService, options: options)
            }
        }
    }

    private func targets(_ session: Session) throws(ShipctlError) -> ([ServiceConfig], EnvironmentConfig) {
        guard (1...64).contains(maxParallel) else { throw .usage("--max-parallel \(maxParallel) is not from 1 to 64") }
        if all && !services.isEmpty { throw .usage("give --all or --service, not both") }
        guard all || !services.isEmpty else {
            throw .usage(
                "say what to promote: --service S (repeat it for several) or --all",
                hint:
                    "services in \(session.config.path): \(session.config.services.map(\.name).joined(separator: ", "))"
            )
        }
        var chosen: [ServiceConfig] = []
        for name in all ? session.config.services.map(\.name) : services
        where !chosen.contains(where: { $0.name == name }) {
            chosen.append(try session.service(name))
        }
        return (chosen, try session.environment(env))
    }

    /// One service: `--version V` (or `--version SERVICE=V` naming it).
    private func versionForOneService(_ service: String) throws(ShipctlError) -> String? {
        guard versions.count <= 1 else { throw .usage("one service takes one --version") }
        guard let version = versions.first else { return nil }
        if let (name, value) = Self.pair(version) {
            guard name == service else {
                throw .usage("--version \(version) names service \(name), but the service promoted is \(service)")
            }
            return value
        }
        return version
    }

    /// Several services: every --version must say whose it is.
    private func versionsPerService(_ chosen: [ServiceConfig]) throws(ShipctlError) -> [String: String] {
        if chosen.count == 1, versions.count == 1, Self.pair(versions[0]) == nil {
            return [chosen[0].name: versions[0]]
        }
        var map: [String: String] = [:]
        for version in versions {
            guard let (name, value) = Self.pair(version) else {
                throw .usage(
                    "with several services, --version must name its service: --version SERVICE=\(version)",
                    hint: "e.g. shipctl promote --all --env \(env) --version \(chosen.first?.name ?? "api")=\(version)")
            }
            guard chosen.contains(where: { $0.name == name }) else {
                throw .usage(
                    "--version \(version) names \(name), which is not among the services promoted: \(chosen.map(\.name).joined(separator: ", "))"
                )
            }
            guard map[name] == nil else { throw .usage("--version is given twice for \(name)") }
            map[name] = value
        }
        return map
    }

    private static func pair(_ text: String) -> (String, String)? {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex,
            text.index(after: equals) != text.endIndex
        else { return nil }
        return (String(text[..<equals]), String(text[text.index(after: equals)...]))
    }
}

/// The session and the canary engine for one service/env.
func canaryEngine(_ global: GlobalOptions, _ reporter: Reporter, service: String, env: String) throws(ShipctlError) -> (
    Session, CanaryEngine
) {
    let session = try Session.open(global, reporter)
    let (service, env) = try session.target(service: service, env: env)
    return (
        session, CanaryEngine(config: session.config, service: service, env: env, dependencies: session.dependencies)
    )
}

/// Runs a canary so that SIGINT/SIGTERM end it safely instead of killing it: a
/// cancelled CI job sends SIGINT, then SIGKILL 7.5 s later, so the pause is cut
/// short at once and the engine reverts (or holds). Later signals are ignored.
func runCancellable<T: Sendable>(
    _ session: Session, onCancel: OnCancel,
    _ body: @escaping @Sendable () async throws(ShipctlError) -> T
) async throws(ShipctlError) -> T {
    let canary = Task { () async -> Result<T, ShipctlError> in
        do throws(ShipctlError) { return .success(try await body()) } catch { return .failure(error) }
    }
    let cancellation = session.dependencies.cancellation
    let reporter = session.reporter
    let watcher = SignalWatcher { signal in
        if cancellation.receive(signal) {
            reporter.warning(
                "received \(CancellationState.name(signal)): "
                    + (onCancel == .hold ? "holding the split as it is" : "reverting to the stable version"))
            canary.cancel()
        } else {
            reporter.warning(
                "received \(CancellationState.name(signal)) again: shipctl finishes making traffic safe first")
        }
    }
    defer { withExtendedLifetime(watcher) {} }
    return try await canary.value.get()
}
