import ArgumentParser
import Foundation
import ShipctlKit

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read and verify the tamper-evident audit log.",
        subcommands: [Show.self, Verify.self]
    )

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print audit records, oldest first: when, who, what, and how it ended.",
            discussion: """
                Each line: seq, time, actor (and CI run), service/env, deployment, [step], action, phase, outcome, \
                arguments. The filters combine; --since takes RFC 3339, `now`, or back from now as `--since=-2h`.
                Example: shipctl audit show --service api --env prod --since=-2h --tail 20
                Example: shipctl audit show --deployment api-prod-deploy-20261123062000-1a2b
                """)
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only the records of this deployment (exit 2 when the log holds none).") var deployment: String?
        @Option(help: "Only the records of this service.") var service: String?
        @Option(help: "Only the records of this environment.") var env: String?
        @Option(help: "Only the records written since then: RFC 3339, `now`, or back from now as `--since=-2h`.")
        var since: String?
        @Option(help: "Only the last N of the records that match.") var tail: Int?

        func run() async throws {
            try await runReportingErrors(json: global.json) { reporter throws(ShipctlError) in
                let start = try since.map { text throws(ShipctlError) in
                    try TimeArgument.required(text, flag: "--since", example: "--since=-2h", now: Date())
                }
                if let tail, tail < 1 { throw .usage("--tail \(tail) is not a number of records (1 or more)") }
                let session = try Session.open(global, reporter)
                var shown: [AuditRecord] = []
                let chain = try await session.dependencies.store.scan { line in
                    guard deployment == nil || line.field("deployment") == deployment,
                        service == nil || line.field("service") == service, env == nil || line.field("env") == env,
                        let record = line.record,
                        start.map({ start in Timestamp.parse(record.ts).map { $0 >= start } ?? true }) ?? true
                    else { return }
                    shown.append(record)
                    if let tail, shown.count > tail { shown.removeFirst(shown.count - tail) }
                }
                for record in shown {
                    if global.json {
                        reporter.json(record.json, event: "audit-record")
                    } else {
                        reporter.line(record.line)
                    }
                }
                if let bad = chain.firstBad {
                    session.reporter.warning(
                        "the log stops verifying at \(bad.seq.map { "seq \($0)" } ?? "line \(bad.line)") (\(bad.reason)); nothing from there on is shown — run `shipctl audit verify`"
                    )
                }
                if let deployment, shown.isEmpty {
                    throw .usage(
                        "the audit log holds no record of deployment \(deployment)",
                        hint: "list what it holds with `shipctl audit show --tail 20`")
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
