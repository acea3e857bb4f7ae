import ArgumentParser
import ShipctlKit

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read and verify the tamper-evident audit log.",
        subcommands: [Show.self, Verify.self]
    )

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print audit records, oldest first.",
                                                        discussion: "Example: shipctl audit show --deployment api-prod-deploy-20261123062000-1a2b")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only the records of this deployment.") var deployment: String?

        func run() async throws {
            try await runReportingErrors(json: global.json) { () throws(ShipctlError) in
                let session = try Session.open(global)
                _ = try await session.dependencies.store.scan { line in
                    guard deployment == nil || line.field("deployment") == deployment, let record = line.record else { return }
                    if global.json {
                        print(record.json.canonical)
                    } else {
                        let args = record.args.isEmpty ? "" : " " + JSONValue.object(record.args).canonical
                        print("\(record.seq) \(record.ts) \(record.service)/\(record.env) \(record.deployment) [\(record.event.step)] \(record.action) \(record.phase.rawValue)\(record.outcome.map { " → \($0)" } ?? "")\(args)")
                    }
                }
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check the hash chain; name the first record that does not match (exit 1).")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await runReportingErrors(json: global.json) { () throws(ShipctlError) in
                let session = try Session.open(global)
                let result = try await session.dependencies.store.verify()
                if let bad = result.firstBad {
                    let seq = bad.seq.map { "seq \($0), " } ?? ""
                    throw .runtime("audit record \(seq)line \(bad.line) does not verify: \(bad.reason)",
                                   hint: "\(result.recordCount) records before it verify; restore the log from a trusted copy")
                }
                session.reporter.event("verified", "audit log verifies: \(result.recordCount) records, head \(result.lastHash)",
                                       ["records": .int(Int64(result.recordCount)), "head": .string(result.lastHash)])
            }
        }
    }
}

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "config", abstract: "Work with shipctl.yaml.", subcommands: [Validate.self])

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validate shipctl.yaml fully; every problem with file:line, key and what was expected.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await runReportingErrors(json: global.json) { () throws(ShipctlError) in
                let session = try Session.open(global)
                session.reporter.event("valid", "\(global.config) is valid: \(session.config.services.count) service(s), \(session.config.environments.count) environment(s)")
            }
        }
    }
}
