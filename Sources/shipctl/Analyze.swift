import ArgumentParser
import Foundation
import ShipctlKit

struct Analyze: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Replay a service's analysis over past metrics: would the gate have tripped? (exit 3 if so, 0 if not)",
        discussion: """
            The analysis runs as it would in a canary that started at --from: the steps' pauses, one evaluation every \
            analysis.interval, a failed metric confirmed (analysis.confirm), failure_limit and inconclusive_limit; judged \
            metrics compare --version with --baseline over the time since --from, wait for min_requests and apply \
            on_insufficient. After the steps, the rest of the window is judged too, for tuning. {{canary}} = --version, \
            {{stable}} = --baseline (default: the last-known-good version). Prometheus metrics are read with query_range \
            (judged ones as instant queries at each evaluation's time), CloudWatch metrics with get-metric-statistics \
            (at most 1440 periods). Times are RFC 3339, `now`, or back from now, written with `=` so the minus is not \
            read as an option: `--from=-30m`.
            Example: shipctl analyze --service api --env prod --version 7 --baseline 6 --from=-1h --to now
            """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var target: TargetOptions
    @Option(help: "The version whose metrics are judged ({{canary}}).") var version: String
    @Option(help: "The version to compare with ({{stable}}); default: the last-known-good one.") var baseline: String?
    @Option(help: "Start of the window: RFC 3339, `now`, or back from now as `--from=-30m`.") var from: String
    @Option(help: "End of the window: RFC 3339, `now`, or back from now as `--to=-5m`.") var to: String = "now"

    func run() async throws {
        try await runReportingErrors(json: global.json) { reporter throws(ShipctlError) in
            let session = try Session.open(global, reporter)
            let now = Date()
            guard let start = TimeArgument.parse(from, now: now) else {
                throw .usage("--from `\(from)` is not a time (RFC 3339, `now`, or e.g. `-30m`)")
            }
            guard let end = TimeArgument.parse(to, now: now) else {
                throw .usage("--to `\(to)` is not a time (RFC 3339, `now`, or e.g. `-30m`)")
            }
            let (serviceConfig, envConfig) = (try session.service(target.service), try session.environment(target.env))
            var stable = baseline
            if stable == nil {
                let scope = ServiceParts.scope(
                    for: serviceConfig, env: envConfig, config: session.config, dependencies: session.dependencies)
                stable = try? await session.dependencies.store.history(scope).lastKnownGood
            }
            let replay = AnalysisReplay(
                config: session.config, service: serviceConfig, env: envConfig, dependencies: session.dependencies)
            let outcome = try await replay.run(version: version, baseline: stable, from: start, to: end)
            if global.json {
                session.reporter.json(outcome.json, event: "analyze")
            } else {
                outcome.lines.forEach(session.reporter.line)
            }
            if outcome.judgedNothing {
                let why =
                    outcome.metrics.compactMap { metric in
                        metric.firstUnanswered.map { "\(metric.name): \($0)" }
                    }.first ?? "no value"
                throw .runtime(
                    "nothing could be judged: every evaluation in the window was inconclusive (\(why))",
                    hint:
                        "check that the metrics backend answers from here and holds the series the queries above ask for"
                )
            }
            if let tripped = outcome.tripped {
                throw .wouldHaveFailed("\(tripped.metric) tripped the gate at \(Timestamp.format(tripped.at))")
            }
        }
    }
}
