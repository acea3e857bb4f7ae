import ArgumentParser
import ShipctlKit

struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show one deployment from the audit log: an HTML page, JSON, or a short summary.",
        discussion: """
            The page is one self-contained file (inline CSS and SVG, nothing loaded from the network): the outcome, \
            the traffic weight over time, each metric against its threshold with the failing points marked, the smoke \
            results and every record with its resolved query. It works for promotes, rollbacks and previews.
            Example: shipctl report --deployment latest --html report.html
            """)
    @OptionGroup var global: GlobalOptions
    @Option(help: "The deployment ID (as `shipctl audit show` lists them), or `latest`.") var deployment: String
    @Option(help: "With `--deployment latest`: the newest deployment of this service.") var service: String?
    @Option(help: "With `--deployment latest`: the newest deployment in this environment.") var env: String?
    @Option(help: "Write the page to this file.") var html: String?

    func run() async throws {
        try await runReportingErrors(json: global.json) { reporter throws(ShipctlError) in
            let session = try Session.open(global, reporter)
            let timeline = try await DeploymentTimeline.read(
                deployment: deployment, service: service, env: env, from: session.dependencies.store)
            if let html {
                try HTMLReport.write(timeline, to: html, redactor: session.dependencies.redactor)
            }
            if global.json {
                session.reporter.json(timeline.json, event: "report")
                return
            }
            session.reporter.line(timeline.summary)
            if let html { session.reporter.event("report", "report written to \(html)") }
        }
    }
}
