import ArgumentParser
import Foundation
import ShipctlKit

struct PreviewGC: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc", abstract: "Tear down previews past their expiry, or older than --max-age; each on its own.")
    @OptionGroup var target: PreviewTarget
    @Option(help: "Also tear down previews older than this, e.g. 7d.") var maxAge: String?

    func run() async throws {
        try await runReportingErrors(json: target.global.json) { reporter throws(ShipctlError) in
            let maximum = try maxAge.map { text throws(ShipctlError) in try positiveDuration(text, option: "--max-age")
            }
            let (session, services, env) = try target.resolve(reporter)
            try await PreviewCollector(config: session.config, env: env, dependencies: session.dependencies)
                .collect(maxAge: maximum, services: Set(services.map(\.name)))
        }
    }
}
