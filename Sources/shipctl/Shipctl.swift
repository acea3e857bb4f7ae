import ArgumentParser
import Foundation
import ShipctlKit

@main
struct Shipctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shipctl",
        abstract:
            "Ship LLM micro apps to AWS Lambda and Google Cloud Run safely: terraform, canary steps, metric gates, automatic rollback, audit log.",
        discussion: """
            Exit codes: 0 success · 1 runtime failure · 2 usage or configuration error · 3 canary failed its gates and was \
            rolled back (analyze: would have failed) · 4 another deployment holds the lock · 5 an interrupted deployment needs resume or abort · 130/143 promote cancelled by SIGINT/SIGTERM after reverting to stable.
            """,
        subcommands: [
            Promote.self, Resume.self, Abort.self, Rollback.self, Status.self, Preview.self, Audit.self, Report.self,
            Analyze.self, Plan.self, Doctor.self, Flags.self, State.self, ConfigCommand.self, Init.self, Stats.self,
        ]
    )

    // `shipctl --version` by hand, not CommandConfiguration.version: that one is
    // offered on every subcommand too, where it swallows `promote --version V`.
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let json = arguments.contains("--json")
        if arguments.filter({ $0 != "--json" }) == ["--version"] {
            if json {
                CommandOutput.reporter(json: true).json(BuildVersion.fields, event: "version")
            } else {
                Reporter.standardOutput(BuildVersion.line)
            }
            return
        }
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            // Help asked for under --json is one event too: every line of machine output is JSON.
            if json, exitCode(for: error) == .success {
                CommandOutput.reporter(json: true).json(["message": .string(fullMessage(for: error))], event: "help")
                exit(withError: ExitCode.success)
            }
            // A command line that does not parse is a usage error like any other:
            // exit 2, and under --json an error event, not ArgumentParser's 64 and plain text.
            guard exitCode(for: error) == .validationFailure else { exit(withError: error) }
            let reporter = CommandOutput.reporter(json: json)
            var message = fullMessage(for: error)
            if message.hasPrefix("Error: ") { message.removeFirst("Error: ".count) }
            if let hint = relativeTimeHint(arguments) { message += "\n" + hint }
            reporter.failure(message)
            exit(withError: ExitCode(2))
        }
    }
}

/// A time back from now after a space (`--from -30m`) is taken for an option by the parser; says how to write it.
func relativeTimeHint(_ arguments: [String]) -> String? {
    for (flag, value) in zip(arguments, arguments.dropFirst())
    where ["--from", "--to", "--since"].contains(flag) && value.count > 1 && value.hasPrefix("-")
        && value.dropFirst().first?.isNumber == true
    {
        return "hint: write a time back from now with `=`, so its minus is not read as an option: `\(flag)=\(value)`"
    }
    return nil
}

/// Runs a command body with the run's reporter, turning `ShipctlError` into its message and exit code.
func runReportingErrors(json: Bool, _ body: (Reporter) async throws(ShipctlError) -> Void) async throws {
    let reporter = CommandOutput.reporter(json: json)
    do {
        // Every retry of a call to the outside is said as it happens.
        let sayRetry: @Sendable (String) -> Void = { reporter.warning($0) }
        try await RetryNotice.reporting(to: sayRetry) { () throws(ShipctlError) in try await body(reporter) }
        reporter.close()
    } catch {
        reporter.close()
        reporter.failure(error.description)
        throw ExitCode(error.exitCode)
    }
}
