import ArgumentParser
import ShipctlKit

struct Resume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Continue an interrupted deployment from the step the live traffic split shows.",
        discussion: """
            Re-reads the live split, then shifts, smoke-tests and analyses the step the canary holds again, and goes on \
            as promote would; a deployment that was reverting when it stopped finishes its revert instead. \
            To give up on it, use `shipctl abort`.

            Example: shipctl resume --service api --env prod
            """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var target: TargetOptions
    @Option(help: "On SIGINT/SIGTERM: revert to stable, or hold the split for a later resume/abort.") var onCancel:
        OnCancel = .revert

    func run() async throws {
        try await runReportingErrors(json: global.json) { reporter throws(ShipctlError) in
            let (session, engine) = try canaryEngine(global, reporter, service: target.service, env: target.env)
            let hold = onCancel == .hold
            _ = try await runCancellable(session, onCancel: onCancel) { () async throws(ShipctlError) in
                try await engine.resume(holdOnCancel: hold)?.succeeded()
            }
        }
    }
}
