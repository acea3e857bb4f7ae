import ArgumentParser
import ShipctlKit

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the live traffic split, any in-flight or interrupted deployment, and last-known-good versions.",
        discussion: """
            Exits 1 after printing everything it could when the live split of any service/env cannot be read.

            With --watch, then follows each deployment in flight — on this machine or, through the team backend, \
            on any runner — printing each record it writes and each change of the live split, until it ends. It \
            then exits as the deployment did: 0 promoted, 3 rolled back, 1 failed, 5 interrupted (nobody runs it; \
            `shipctl resume` or `shipctl abort`). Ctrl-C stops watching, never the deployment.

            Example: shipctl status --service api --env prod
            Example: shipctl status --service api --env prod --watch
            """
    )

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only this service.") var service: String?
    @Option(help: "Only this environment.") var env: String?
    @Flag(help: "Follow each deployment in flight until it ends, and exit as it ended.") var watch = false
    @Option(help: "With --watch, how often to read the log and the split again (default: 2s).") var every: String?

    func run() async throws {
        try await runReportingErrors(json: global.json) { reporter throws(ShipctlError) in
            var interval = Duration.seconds(2)
            if let every {
                guard watch else { throw .usage("--every only makes sense with --watch") }
                guard let parsed = DurationParser.parse(every), parsed >= .milliseconds(200), parsed <= .seconds(600)
                else { throw .usage("--every `\(every)` is not a duration from 200ms to 10m (e.g. 2s, 30s)") }
                interval = parsed
            }
            let session = try Session.open(global, reporter)
            let (services, envs) = try session.selection(service: service, env: env)
            var shown: [StatusWatch.Shown] = []
            var unreadable: [String] = []
            for service in services {
                for env in envs {
                    let report = try await StatusReport.gather(
                        config: session.config, service: service, env: env,
                        dependencies: session.dependencies)
                    if global.json {
                        reporter.json(report.json, event: "status")
                    } else {
                        reporter.line(report.text)
                    }
                    if case .failure = report.live { unreadable.append("\(report.service)/\(report.env)") }
                    shown.append(StatusWatch.Shown(service: service, env: env, report: report))
                }
            }
            if watch {
                try await StatusWatch(
                    config: session.config, dependencies: session.dependencies, reporter: reporter, interval: interval
                ).follow(shown)
                return
            }
            // Everything that could be read is shown first; a split nobody could read is still a failure for CI.
            if !unreadable.isEmpty {
                throw .runtime(
                    "the live traffic split of \(unreadable.joined(separator: ", ")) could not be read (see above)",
                    hint: "check the cloud CLI's credentials and region, then run `shipctl status` again")
            }
        }
    }
}
