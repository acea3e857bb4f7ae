import ArgumentParser
import ShipctlKit

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Work with shipctl.yaml.", subcommands: [Validate.self])

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate shipctl.yaml fully; every problem with file:line, key and what was expected.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await runReportingErrors(json: global.json) { reporter throws(ShipctlError) in
                let session = try Session.open(global, reporter)
                session.reporter.event(
                    "valid",
                    "\(global.config) is valid: \(session.config.services.count) service(s), \(session.config.environments.count) environment(s)"
                )
            }
        }
    }
}
