import ArgumentParser
import Foundation
import ShipctlKit

@main
struct Shipctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shipctl",
        abstract: "Ship LLM micro apps to AWS Lambda and Google Cloud Run safely: terraform, canary steps, metric gates, automatic rollback, audit log.",
        discussion: """
        Exit codes: 0 success · 1 runtime failure · 2 usage or configuration error · 3 canary failed its gates and was \
        rolled back · 4 another deployment holds the lock · 5 an interrupted deployment needs resume or abort · 130/143 promote cancelled by SIGINT/SIGTERM after reverting to stable.
        """,
        subcommands: [Promote.self, Resume.self, Abort.self, Rollback.self, Status.self, Preview.self, Audit.self, State.self, ConfigCommand.self]
    )

    static let version = "0.1.0"

    // `shipctl --version` by hand, not CommandConfiguration.version: that one is
    // offered on every subcommand too, where it swallows `promote --version V`.
    static func main() async {
        if Array(CommandLine.arguments.dropFirst()) == ["--version"] {
            print(version)
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
            exit(withError: error)
        }
    }
}

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Path to the configuration file.")
    var config: String = "shipctl.yaml"

    @Flag(name: .long, help: "Machine output: one JSON object per line on stdout.")
    var json = false
}

/// Runs a command body, turning `ShipctlError` into its message and exit code.
func runReportingErrors(json: Bool, _ body: () async throws(ShipctlError) -> Void) async throws {
    do {
        try await body()
    } catch {
        let reporter = Reporter(mode: OutputMode.detect(json: json), redactor: Redactor.from(config: nil, environment: ProcessInfo.processInfo.environment))
        reporter.failure(error.description)
        throw ExitCode(error.exitCode)
    }
}
