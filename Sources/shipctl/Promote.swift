import ArgumentParser
import ShipctlKit

struct Promote: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply terraform, then shift traffic to the new version step by step, reverting by itself if a gate fails.",
        discussion: """
        Runs the service's terraform (if it has a `terraform` block), picks the version (--version, the terraform \
        output named by `version_output`, or a freshly published one), runs the smoke tests against it, then each \
        canary step: shift, smoke, watch the metrics for the pause. Any failed gate puts all traffic back on the \
        stable version, flips the `on_failure` flags and exits 3.

        Example: shipctl promote --service api --env prod
        """
    )

    @OptionGroup var global: GlobalOptions
    @Option(help: "The service to promote, as named under `services`.") var service: String
    @Option(help: "The environment, as named under `environments`.") var env: String
    @Option(help: "The version to promote (default: terraform's version_output, else publish a new one).") var version: String?
    @Flag(help: "Print every command that would change something, and change nothing.") var dryRun = false
    @Flag(help: "Apply a terraform plan even when it destroys or replaces resources.") var yes = false

    func run() async throws {
        try await runReportingErrors(json: global.json) { () throws(ShipctlError) in
            let session = try Session.open(configPath: global.config, json: global.json)
            let (service, env) = try session.target(service: service, env: env)
            let engine = CanaryEngine(config: session.config, service: service, env: env, dependencies: session.dependencies)
            let options = PromoteOptions(version: version, dryRun: dryRun, yes: yes)
            let promotion = Task { () async -> Result<PromoteOutcome, ShipctlError> in
                do throws(ShipctlError) { return .success(try await engine.promote(options)) } catch { return .failure(error) }
            }
            // A cancelled CI job sends SIGINT, then SIGKILL 7.5 s later: cut the pause short and revert.
            let cancellation = session.dependencies.cancellation
            let reporter = session.reporter
            let watcher = SignalWatcher { signal in
                if cancellation.receive(signal) {
                    reporter.warning("received \(CancellationState.name(signal)): reverting to the stable version")
                    promotion.cancel()
                } else {
                    reporter.warning("received \(CancellationState.name(signal)) again: the revert continues")
                }
            }
            defer { withExtendedLifetime(watcher) {} }
            _ = try await promotion.value.get()
        }
    }
}
