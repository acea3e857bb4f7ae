import ArgumentParser
import ShipctlKit

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the live traffic split, any in-flight or interrupted deployment, and last-known-good versions.",
        discussion: "Example: shipctl status --service api --env prod"
    )

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only this service.") var service: String?
    @Option(help: "Only this environment.") var env: String?

    func run() async throws {
        try await runReportingErrors(json: global.json) { () throws(ShipctlError) in
            let session = try Session.open(global)
            let services = try service.map { name throws(ShipctlError) in [try session.service(name)] } ?? session.config.services
            let envs = try env.map { name throws(ShipctlError) in [try session.environment(name)] }
                ?? session.config.environments.values.sorted { $0.name < $1.name }
            for service in services {
                for env in envs {
                    let report = try await StatusReport.gather(config: session.config, service: service, env: env,
                                                               dependencies: session.dependencies)
                    if global.json {
                        print(report.json.canonical)
                    } else {
                        print(session.reporter.redactor.redact(report.text))
                    }
                }
            }
        }
    }
}
