import ArgumentParser
import ShipctlKit

struct Plan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Show what promote would do: the terraform plan, the version it would pick, the canary steps and gates.",
        discussion: """
            Runs terraform init and plan (never apply) and reads the live split; changes nothing, takes no lock and \
            writes no audit record, so it is safe beside a running promote. A plan that destroys or replaces \
            resources is called out: promote stops on it unless given --yes. Exits 1 when the live split of a \
            target the plan does not create cannot be read, with the cause.

            Example: shipctl plan --service api --env prod
            """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var target: TargetOptions
    @Option(help: "The version promote would be given with --version.") var version: String?

    func run() async throws {
        try await runReportingErrors(json: global.json) { reporter throws(ShipctlError) in
            let session = try Session.open(global, reporter)
            let (service, env) = try session.target(service: target.service, env: target.env)
            let report = try await PlanReport.gather(
                config: session.config, service: service, env: env, version: version,
                dependencies: session.dependencies)
            if global.json {
                reporter.json(report.json, event: "plan")
            } else {
                reporter.line(report.text)
            }
            // The plan is shown either way; an unreadable split of a target that should exist is a failure.
            if let failure = report.liveSplitFailure { throw failure }
        }
    }
}
