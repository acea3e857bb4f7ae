import ArgumentParser
import Foundation
import ShipctlKit

struct PreviewGC: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc", abstract: "Tear down previews past their expiry, or older than --max-age; each on its own.",
        discussion: """
            Previews are found in the audit log and where they live: the Secrets Manager secrets `preview up` \
            tagged with their pull request and expiry, and the terraform workspaces pr-N. A workspace nothing else \
            knows has no known expiry and is left alone (and named). Exits 1 when a teardown failed or a place \
            could not be asked.

            Example: shipctl preview gc --max-age 7d
            """)
    @OptionGroup var target: PreviewTarget
    @Option(help: "Also tear down previews older than this, e.g. 7d.") var maxAge: String?

    func run() async throws {
        try await runReportingErrors(json: target.global.json) { reporter throws(ShipctlError) in
            let maximum = try maxAge.map { text throws(ShipctlError) in try positiveDuration(text, option: "--max-age")
            }
            let (session, services, env) = try target.resolve(reporter)
            try await PreviewCollector(config: session.config, env: env, dependencies: session.dependencies)
                .collect(maxAge: maximum, services: services)
        }
    }
}
