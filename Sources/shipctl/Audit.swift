import ArgumentParser
import ShipctlKit

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read and verify the tamper-evident audit log.",
        subcommands: [Show.self, Verify.self]
    )

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print audit records, oldest first.",
            discussion: "Example: shipctl audit show --deployment api-prod-deploy-20261123062000-1a2b")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only the records of this deployment.") var deployment: String?

        func run() async throws {
            try await runReportingErrors(json: global.json) { reporter throws(ShipctlError) in
                let session = try Session.open(global, reporter)
                let chain = try await session.dependencies.store.scan { line in
                    guard deployment == nil || line.field("deployment") == deployment, let record = line.record else {
                        return
                    }
                    if global.json {
                        reporter.json(record.json, event: "audit-record")
                    } else {
                        let args = record.args.isEmpty ? "" : " " + JSONValue.object(record.args).canonical
                        reporter.line(
                            "\(record.seq) \(record.ts) \(record.service)/\(record.env) \(record.deployment) [\(record.event.step)] \(record.action) \(record.phase.rawValue)\(record.outcome.map { " → \($0)" } ?? "")\(args)"
                        )
                    }
                }
                if let bad = chain.firstBad {
                    session.reporter.warning(
                        "the log stops verifying at \(bad.seq.map { "seq \($0)" } ?? "line \(bad.line)") (\(bad.reason)); nothing from there on is shown — run `shipctl audit verify`"
                    )
                }
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the hash chain; name the first record that does not match (exit 1).",
            discussion:
                "Also reads the witness the last promote wrote onto each target (Lambda alias description) and checks that the log still holds the record it cites, with the same hash."
        )
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await runReportingErrors(json: global.json) { reporter throws(ShipctlError) in
                let session = try Session.open(global, reporter)
                let outcome = try await WitnessedVerification(
                    config: session.config, dependencies: session.dependencies
                ).run()
                let result = outcome.chain
                let witnessed =
                    outcome.witnessed.isEmpty
                    ? "" : "; matches the witness on " + outcome.witnessed.joined(separator: ", ")
                session.reporter.event(
                    "verified",
                    "audit log verifies: \(result.recordCount) records, head \(result.lastHash)\(witnessed)",
                    [
                        "records": .int(Int64(result.recordCount)), "head": .string(result.lastHash),
                        "witnessed": .array(outcome.witnessed.map(JSONValue.string)),
                    ])
            }
        }
    }
}
