import ArgumentParser
import Foundation
import ShipctlKit

struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Delivery figures from the audit log: DORA's deployment frequency, change fail rate, recovery time.",
        discussion: """
            Read from the audit log alone (the team backend's holds every runner's deployments): deployments that \
            ended in the window (cancelled ones left out), succeeded deployments per day with DORA's band, the \
            share that failed, the time from a failed deployment's first traffic to traffic back on a good \
            version (median and p90), and the rework rate (rollbacks and deployments right after a failed one). \
            Lead time needs commit times, which the log does not hold yet. Times are RFC 3339, `now`, or back \
            from now as `--since=-30d`.
            Example: shipctl stats --since=-30d
            Example: shipctl stats --service api --env prod --json
            """)
    @OptionGroup var global: GlobalOptions
    @Option(help: "Only this service.") var service: String?
    @Option(help: "Only this environment.") var env: String?
    @Option(help: "Start of the window (default: the first deployment).") var since: String?
    @Option(help: "End of the window.") var until: String = "now"

    func run() async throws {
        try await runReportingErrors(json: global.json) { reporter throws(ShipctlError) in
            let now = Date()
            let start = try since.map { text throws(ShipctlError) in
                try TimeArgument.required(text, flag: "--since", example: "--since=-30d", now: now)
            }
            let end = try TimeArgument.required(until, flag: "--until", example: "--until=-1d", now: now)
            let session = try Session.open(global, reporter)
            let stats = try await DeliveryStats.read(
                from: session.dependencies.store, since: start, until: end, service: service, env: env)
            if global.json {
                var object = stats.all.json
                object["since"] = stats.since.map { .string(Timestamp.format($0)) } ?? .null
                object["until"] = .string(Timestamp.format(stats.until))
                object["services"] = .array(
                    stats.services.map { entry in
                        .object(
                            entry.figures.json.merging(["service": .string(entry.service), "env": .string(entry.env)]) {
                                $1
                            })
                    })
                reporter.json(.object(object), event: "stats")
                return
            }
            let window =
                "\(stats.since.map(Timestamp.format) ?? "the first deployment") to \(Timestamp.format(stats.until))"
            guard stats.all.deployments + stats.all.rollbacks > 0 else {
                reporter.line("no deployment in the audit log from \(window)")
                return
            }
            var lines = ["delivery from \(window):"] + stats.all.lines.map { "  " + $0 }
            for entry in stats.services {
                lines.append("\(entry.service)/\(entry.env):")
                lines += entry.figures.lines.map { "  " + $0 }
            }
            reporter.line(lines.joined(separator: "\n"))
        }
    }
}
