import ArgumentParser
import ShipctlKit

struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check that everything a promote needs is in place on this account, with a fix for each problem.",
        discussion: """
            For each service and environment: where the cloud credentials come from and whose they are, the \
            region or project, the alias or service and its split, the permissions a promote uses (read ones \
            probed, write ones named), each gate's query asked for the stable version, terraform and its folder, \
            and each flag on_failure flips; then the state backend's log and locks. Changes nothing in the cloud, \
            takes no lock and writes no record. Exits 0 when everything is in place, 1 otherwise.

            Example: shipctl doctor --service api --env prod
            """
    )

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only this service.") var service: String?
    @Option(help: "Only this environment.") var env: String?

    func run() async throws {
        try await runReportingErrors(json: global.json) { reporter throws(ShipctlError) in
            let session = try Session.open(global, reporter)
            let (services, envs) = try session.selection(service: service, env: env)
            let report = await DoctorReport.gather(
                config: session.config, services: services, envs: envs, dependencies: session.dependencies)
            if global.json {
                reporter.json(report.json, event: "doctor")
            } else {
                reporter.line(report.text)
            }
            if report.failures > 0 {
                throw .runtime(
                    "\(report.failures) check(s) failed (see above)",
                    hint: "fix what each ✗ line says, then run `shipctl doctor` again")
            }
        }
    }
}
