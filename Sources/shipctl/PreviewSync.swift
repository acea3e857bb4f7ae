import ArgumentParser
import Foundation
import ShipctlKit

struct PreviewSync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Bring previews up or down from the GitHub Actions event (GITHUB_EVENT_NAME, GITHUB_EVENT_PATH).",
        discussion:
            "pull_request opened/reopened/synchronize → up; closed → down; the service's opt-out label → down; anything else → nothing."
    )
    @OptionGroup var target: PreviewTarget

    func run() async throws {
        try await runReportingErrors(json: target.global.json) { reporter throws(ShipctlError) in
            let event = try GitHubEvent.load(environment: ProcessInfo.processInfo.environment)
            let (session, services, env) = try target.resolve(reporter)
            for service in services {
                let engine = try PreviewEngine(
                    config: session.config, service: service, env: env, dependencies: session.dependencies)
                switch event.decision(optOutLabel: service.preview?.optOutLabel ?? "no-preview") {
                case .up(let pr): try await engine.up(pr: pr)
                case .down(let pr): try await engine.down(pr: pr)
                case .nothing(let reason): session.reporter.event("noop", "\(service.name): \(reason)")
                }
            }
        }
    }
}
