import ArgumentParser
import ShipctlKit

struct Abort: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Revert an interrupted deployment to its stable version and close it.",
        discussion: "Example: shipctl abort --service api --env prod"
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var target: TargetOptions

    func run() async throws {
        try await runReportingErrors(json: global.json) { reporter throws(ShipctlError) in
            let session = try Session.open(global, reporter)
            let (service, env) = try session.target(service: target.service, env: target.env)
            let engine = RollbackEngine(
                config: session.config, service: service, env: env, dependencies: session.dependencies)
            _ = try await engine.rollback(RollbackOptions(reason: "aborted", flipFlags: false, abortOnly: true))
        }
    }
}
