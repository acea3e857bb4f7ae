import ArgumentParser
import Foundation
import ShipctlKit

struct State: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work with where shipctl keeps its state.",
        subcommands: [Migrate.self]
    )

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a local audit log into the team backend named by state.url, after verifying its chain.",
            discussion: """
                The log is copied record for record with its seq and hashes, so `shipctl audit verify` and the witnesses on \
                the targets keep matching; the backend must not hold records yet. Example: shipctl state migrate --from .shipctl
                """)
        @OptionGroup var global: GlobalOptions
        @Option(help: "The local state directory that holds audit.jsonl.") var from: String

        func run() async throws {
            try await runReportingErrors(json: global.json) { reporter throws(ShipctlError) in
                let session = try Session.open(global, reporter)
                let outcome = try await StateMigration(
                    source: URL(fileURLWithPath: from), target: session.dependencies.store
                ).run()
                session.reporter.event(
                    "migrated",
                    "copied \(outcome.records) records from \(from) into \(session.dependencies.store.location); head \(outcome.head)",
                    ["records": .int(Int64(outcome.records)), "head": .string(outcome.head)])
            }
        }
    }
}
