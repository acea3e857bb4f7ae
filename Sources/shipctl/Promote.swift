import ArgumentParser
import ShipctlKit

/// What a cancelled canary does with traffic.
enum OnCancel: String, ExpressibleByArgument, CaseIterable {
    case revert, hold
}

struct Promote: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply terraform, then shift traffic to the new version step by step, reverting by itself if a gate fails.",
        discussion: """
        Runs the service's terraform (if it has a `terraform` block), picks the version (--version, the terraform \
        output named by `version_output`, or a freshly published one), runs the smoke tests against it, then each \
        canary step: shift, smoke, watch the metrics for the pause. Any failed gate puts all traffic back on the \
        stable version, flips the `on_failure` flags and exits 3.

        SIGINT or SIGTERM (a cancelled CI job) reverts to stable and exits 130/143; with --on-cancel hold the split \
        stays as it is and the deployment waits for `shipctl resume` or `shipctl abort`. A deployment whose process \
        was killed makes the next promote exit 5 with both ways on.

        Example: shipctl promote --service api --env prod
        """
    )

    @OptionGroup var global: GlobalOptions
    @Option(help: "The service to promote, as named under `services`.") var service: String
    @Option(help: "The environment, as named under `environments`.") var env: String
    @Option(help: "The version to promote (default: terraform's version_output, else publish a new one).") var version: String?
    @Flag(help: "Print every command that would change something, and change nothing.") var dryRun = false
    @Flag(help: "Apply a terraform plan even when it destroys or replaces resources.") var yes = false
    @Option(help: "On SIGINT/SIGTERM: revert to stable, or hold the split for a later resume/abort.") var onCancel: OnCancel = .revert

    func run() async throws {
        try await runReportingErrors(json: global.json) { reporter throws(ShipctlError) in
            let (session, engine) = try canaryEngine(global, reporter, service: service, env: env)
            let options = PromoteOptions(version: version, dryRun: dryRun, yes: yes, holdOnCancel: onCancel == .hold)
            _ = try await runCancellable(session, onCancel: onCancel) { () async throws(ShipctlError) in try await engine.promote(options) }
        }
    }
}

struct Resume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Continue an interrupted deployment from the step the live traffic split shows.",
        discussion: """
        Re-reads the live split, then shifts, smoke-tests and analyses the step the canary holds again, and goes on \
        as promote would; a deployment that was reverting when it stopped finishes its revert instead. \
        To give up on it, use `shipctl abort`.

        Example: shipctl resume --service api --env prod
        """
    )

    @OptionGroup var global: GlobalOptions
    @Option(help: "The service.") var service: String
    @Option(help: "The environment.") var env: String
    @Option(help: "On SIGINT/SIGTERM: revert to stable, or hold the split for a later resume/abort.") var onCancel: OnCancel = .revert

    func run() async throws {
        try await runReportingErrors(json: global.json) { reporter throws(ShipctlError) in
            let (session, engine) = try canaryEngine(global, reporter, service: service, env: env)
            let hold = onCancel == .hold
            _ = try await runCancellable(session, onCancel: onCancel) { () async throws(ShipctlError) in try await engine.resume(holdOnCancel: hold) }
        }
    }
}

/// The session and the canary engine for one service/env.
func canaryEngine(_ global: GlobalOptions, _ reporter: Reporter, service: String, env: String) throws(ShipctlError) -> (Session, CanaryEngine) {
    let session = try Session.open(global, reporter)
    let (service, env) = try session.target(service: service, env: env)
    return (session, CanaryEngine(config: session.config, service: service, env: env, dependencies: session.dependencies))
}

/// Runs a canary so that SIGINT/SIGTERM end it safely instead of killing it: a
/// cancelled CI job sends SIGINT, then SIGKILL 7.5 s later, so the pause is cut
/// short at once and the engine reverts (or holds). Later signals are ignored.
func runCancellable<T: Sendable>(_ session: Session, onCancel: OnCancel,
                                 _ body: @escaping @Sendable () async throws(ShipctlError) -> T) async throws(ShipctlError) -> T {
    let canary = Task { () async -> Result<T, ShipctlError> in
        do throws(ShipctlError) { return .success(try await body()) } catch { return .failure(error) }
    }
    let cancellation = session.dependencies.cancellation
    let reporter = session.reporter
    let watcher = SignalWatcher { signal in
        if cancellation.receive(signal) {
            reporter.warning("received \(CancellationState.name(signal)): " + (onCancel == .hold ? "holding the split as it is" : "reverting to the stable version"))
            canary.cancel()
        } else {
            reporter.warning("received \(CancellationState.name(signal)) again: shipctl finishes making traffic safe first")
        }
    }
    defer { withExtendedLifetime(watcher) {} }
    return try await canary.value.get()
}
