import ArgumentParser
import Foundation
import ShipctlKit

struct PreviewList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Every preview with its pull request, age, expiry, status and where it was found.",
        discussion: """
            Looks in the audit log, in the Secrets Manager secrets `preview up` tagged, and in the terraform \
            workspaces pr-N, so a runner whose log never saw a preview still lists it.

            Example: shipctl preview list --env prod
            """)
    @OptionGroup var target: PreviewTarget

    func run() async throws {
        try await runReportingErrors(json: target.global.json) { reporter throws(ShipctlError) in
            let (session, services, env) = try target.resolve(reporter)
            let inventory = try await PreviewInventory.gather(
                config: session.config, env: env, services: services, dependencies: session.dependencies)
            for place in inventory.unreachable { reporter.warning("could not look for previews in \(place)") }
            for secret in inventory.foreign {
                reporter.warning("left alone: the secret \(secret); it says nothing of a preview's expiry")
            }
            let previews = inventory.previews
            let now = Date()
            if target.global.json {
                for preview in previews { reporter.json(preview.json(at: now), event: "preview-active") }
                return
            }
            guard !previews.isEmpty else {
                reporter.line("no previews")
                return
            }
            reporter.line("PR      SERVICE         AGE       EXPIRES                   STATUS          FOUND IN")
            for preview in previews {
                let age = preview.age(at: now).map {
                    DurationParser.format(.seconds(Checked.int($0.rounded(.down)).map(Int64.init) ?? 0))
                }
                let row = [
                    "#\(preview.pr)".padding(toLength: 8, withPad: " ", startingAt: 0),
                    preview.service.padding(toLength: 16, withPad: " ", startingAt: 0),
                    (age ?? "?").padding(toLength: 10, withPad: " ", startingAt: 0),
                    (preview.expiresAt.map(Timestamp.format) ?? "?").padding(toLength: 26, withPad: " ", startingAt: 0),
                    preview.status(at: now).padding(toLength: 16, withPad: " ", startingAt: 0),
                    preview.foundIn.map(\.words).joined(separator: ", "),
                ]
                reporter.line(row.joined())
            }
        }
    }
}
