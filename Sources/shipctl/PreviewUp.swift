import ArgumentParser
import Foundation
import ShipctlKit

struct PreviewUp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up", abstract: "Create or update the preview of a pull request.")
    @OptionGroup var target: PreviewTarget
    @Option(help: "The pull request number.") var pr: Int
    @Option(help: "How long it lives (default: the service's `preview.ttl`, else 72h).") var ttl: String?

    func run() async throws {
        try await runReportingErrors(json: target.global.json) { reporter throws(ShipctlError) in
            let lifetime = try ttl.map { text throws(ShipctlError) in try positiveDuration(text, option: "--ttl") }
            let (session, services, env) = try target.resolve(reporter)
            for service in services {
                try await PreviewEngine(
                    config: session.config, service: service, env: env, dependencies: session.dependencies
                ).up(pr: pr, ttl: lifetime)
            }
        }
    }
}
