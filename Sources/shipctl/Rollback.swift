import ArgumentParser
import ShipctlKit

struct Rollback: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Put all traffic back on the last-known-good version now: one provider call, then flags, then a check.",
        discussion: """
            Needs no metrics backend and no terraform. The target is the newest known-good version that is not live \
            (from the audit log), the stable version of an unfinished canary, or --to.

            Example: shipctl rollback --service api --env prod --reason "error rate spike"
            """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var target: TargetOptions
    @Option(help: "The version to go to (default: last-known-good).") var to: String?
    @Option(help: "Why, for the audit log.") var reason: String?
    @Flag(help: "Leave feature flags as they are.") var noFlags = false
    @Option(help: "Give up after this long in all, saying what was tried (default: timeouts.rollback, 60s).")
    var timeout: String?

    func run() async throws {
        try await runReportingErrors(json: global.json) { reporter throws(ShipctlError) in
            let session = try Session.open(global, reporter)
            let (service, env) = try session.target(service: target.service, env: target.env)
            var deadline = session.config.timeouts.rollback
            if let timeout {
                guard let parsed = DurationParser.parse(timeout), parsed > .zero, parsed <= .seconds(3600) else {
                    throw .usage("--timeout `\(timeout)` is not a duration from 1s to 1h (e.g. 90s, 5m)")
                }
                deadline = parsed
            }
            let engine = RollbackEngine(
                config: session.config, service: service, env: env, dependencies: session.dependencies)
            _ = try await engine.rollback(
                RollbackOptions(to: to, reason: reason, flipFlags: !noFlags), within: deadline)
        }
    }
}
