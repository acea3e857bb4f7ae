import ArgumentParser
import Foundation
import ShipctlKit

/// The one reporter of a command run. Its redactor starts with the secret
/// environment variables and learns the configuration's secrets and terraform's
/// sensitive outputs as the run goes, so the final error line hides them too.
enum CommandOutput {
    static func reporter(json: Bool) -> Reporter {
        let environment = ProcessInfo.processInfo.environment
        let mode = OutputMode.detect(json: json, environment: environment)
        return Reporter(
            mode: mode, redactor: Redactor.from(environment: environment),
            live: mode == .human ? LiveView.forTerminal(environment: environment) : nil)
    }
}
