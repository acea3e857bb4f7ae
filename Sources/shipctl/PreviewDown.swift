import ArgumentParser
import Foundation
import ShipctlKit

struct PreviewDown: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down", abstract: "Tear down the preview of a pull request: resources, workspace, secrets.")
    @OptionGroup var target: PreviewTarget
    @Option(help: "The pull request number.") var pr: Int

    func run() async throws {
        try await runReportingErrors(json: target.global.json) { reporter throws(ShipctlError) in
            let (session, services, env) = try target.resolve(reporter)
            for service in services {
                try await PreviewEngine(
                    config: session.config, service: service, env: env, dependencies: session.dependencies
                ).down(pr: pr)
            }
        }
    }
}
