import ArgumentParser
import ShipctlKit

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the live traffic split, any in-flight or interrupted deployment, and last-known-good versions.",
        discussion: """
            Exits 1 after printing everything it could when the live split of any service/env cannot be read.

            Example: shipctl status --service api --env prod
            """
    )

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only this service.") var service: String?
    @Option(help: "Only this environment.") var env: String?

    func run() async throws {
        try await runReportingErrors(json: global.json) { reporter throws(ShipctlError) in
            let session = try Session.open(global, reporter)
            let (services, envs) = try session.selection(service: service, env: env)
            var unreadable: [String] = []
            for service in services {
                for env in envs {
                    let report = try await StatusReport.gather(
                        config: session.config, service: service, env: env,
                        dependencies: session.dependencies)
                    if global.json {
                        reporter.json(report.json, event: "status")
                    } else {
                        reporter.line(report.text)
                    }
                    if case .failure = report.live { unreadable.append("\(report.service)/\(report.env)") }
                }
            }
            // Everything that could be read is shown first; a split nobody could read is still a failure for CI.
            if !unreadable.isEmpty {
                throw .runtime(
                    "the live traffic split of \(unreadable.joined(separator: ", ")) could not be read (see above)",
                    hint: "check the cloud CLI's credentials and region, then run `shipctl status` again")
            }
        }
    }
}
