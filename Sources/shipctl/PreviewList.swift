import ArgumentParser
import Foundation
import ShipctlKit

struct PreviewList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Every preview with its pull request, age, expiry and status.")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await runReportingErrors(json: global.json) { reporter throws(ShipctlError) in
            let session = try Session.open(global, reporter)
            let previews = try await PreviewHistory.read(from: session.dependencies.store).previews
            let now = Date()
            if global.json {
                for preview in previews { reporter.json(preview.json(at: now), event: "preview-active") }
                return
            }
            guard !previews.isEmpty else {
                reporter.line("no previews")
                return
            }
            reporter.line("PR      SERVICE         AGE       EXPIRES                   STATUS")
            for preview in previews {
                let age = DurationParser.format(
                    .seconds(Checked.int(preview.age(at: now).rounded(.down)).map(Int64.init) ?? 0))
                let row = [
                    "#\(preview.pr)".padding(toLength: 8, withPad: " ", startingAt: 0),
                    preview.service.padding(toLength: 16, withPad: " ", startingAt: 0),
                    age.padding(toLength: 10, withPad: " ", startingAt: 0),
                    Timestamp.format(preview.expiresAt).padding(toLength: 26, withPad: " ", startingAt: 0),
                    preview.isExpired(at: now) ? "expired" : "active",
                ]
                reporter.line(row.joined())
            }
        }
    }
}
