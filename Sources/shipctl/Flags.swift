import ArgumentParser
import ShipctlKit

struct Flags: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Flip a feature flag by hand, or list the flags a service names with their live values.",
        discussion: """
            The flags are the ones under `on_failure.flags` of the service: an SSM parameter path, a flagd file flag, \
            an Unleash feature or a LaunchDarkly flag, with {{env}} and {{service}} filled in.
            """,
        subcommands: [Set.self, List.self]
    )

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a flag the service's configuration names; recorded in the audit log with your name.",
            discussion: """
                VALUE is what the store takes: an SSM parameter value, a flagd variant, true|false for Unleash, \
                true|false or a variation value for LaunchDarkly. An unknown NAME exits 2 and lists the known ones.

                Examples:
                  shipctl flags set /micro-app/prod/MODEL_PROVIDER=small-llm --service api --env prod --reason "cost surge"
                  shipctl flags set new-recs=false --service api --env prod
                """
        )

        @OptionGroup var global: GlobalOptions
        @Argument(help: "NAME=VALUE: the flag and the value to give it.") var assignment: String
        @OptionGroup var target: TargetOptions
        @Option(help: "Why, for the audit log.") var reason: String?

        func run() async throws {
            try await runReportingErrors(json: global.json) { reporter throws(ShipctlError) in
                let (name, value) = try ManualFlags.assignment(assignment)
                let session = try Session.open(global, reporter)
                let (service, env) = try session.target(service: target.service, env: target.env)
                let flags = ManualFlags(
                    config: session.config, service: service, env: env, dependencies: session.dependencies)
                _ = try await flags.set(name: name, value: value, reason: reason)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show each flag the service names, its live value and the value a failed canary sets.",
            discussion: """
                Exits 1 after printing every flag when one of them could not be read.

                Example: shipctl flags list --service api --env prod
                """
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var target: TargetOptions

        func run() async throws {
            try await runReportingErrors(json: global.json) { reporter throws(ShipctlError) in
                let session = try Session.open(global, reporter)
                let (service, env) = try session.target(service: target.service, env: target.env)
                let rows = await ManualFlags(
                    config: session.config, service: service, env: env, dependencies: session.dependencies
                ).list()
                if rows.isEmpty { reporter.line("\(service.name)/\(env.name) names no flags") }
                var unreadable: [String] = []
                for (flip, live) in rows {
                    let shown: String
                    var fields = flip.auditArgs
                    fields["on_failure"] = fields.removeValue(forKey: "value")
                    switch live {
                    case .success(let value):
                        shown = value ?? "(not set)"
                        fields["live"] = value.map(JSONValue.string) ?? .null
                    case .failure(let error):
                        shown = "unreadable: \(error.description)"
                        fields["error"] = .string(error.description)
                        unreadable.append(flip.name)
                    }
                    if global.json {
                        reporter.json(.object(fields), event: "flag-value")
                    } else {
                        reporter.line("\(flip.kind) \(flip.name) = \(shown)  (on failure: \(flip.value))")
                    }
                }
                if !unreadable.isEmpty {
                    throw .runtime("could not read \(unreadable.joined(separator: ", ")) (see above)")
                }
            }
        }
    }
}
