import ArgumentParser
import Foundation
import ShipctlKit

/// Options the preview commands share: which services and which environment's region.
struct PreviewTarget: ParsableArguments {
    @OptionGroup var global: GlobalOptions
    @Option(help: "Only this service (default: every service with a `preview` block).") var service: String?
    @Option(help: "The environment whose region the preview lives in (default: the only one).") var env: String?

    func resolve(_ reporter: Reporter) throws(ShipctlError) -> (Session, [ServiceConfig], EnvironmentConfig) {
        let session = try Session.open(global, reporter)
        let services =
            try service.map { name throws(ShipctlError) in [try session.service(name)] }
            ?? session.config.services.filter { $0.preview != nil }
        if services.isEmpty {
            throw .usage("no service in \(session.config.path) has a `preview` block")
        }
        let environment: EnvironmentConfig
        if let env {
            environment = try session.environment(env)
        } else if session.config.environments.count == 1, let only = session.config.environments.values.first {
            environment = only
        } else {
            throw .usage(
                "say which environment's region the preview lives in: --env \(session.config.environments.keys.sorted().joined(separator: "|"))"
            )
        }
        return (session, services, environment)
    }
}
