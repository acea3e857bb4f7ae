import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// `--dry-run` is one mode, a wrapper around the parts: the scripted provider and flag store below know
/// nothing of it, and see no change.
final class DryRunTests: XCTestCase {
    func testADryRunPromotePrintsEveryChangeItWouldMakeAndMakesNone() async throws {
        let config = try CanaryEngineTests.config(
            CanaryEngineTests.service(
                "api", steps: "{ weight: 10, pause: 8s }, { weight: 50, pause: 8s }, { weight: 100 }",
                onFailure: DeploymentJournalTests.flags))
        let world = CanaryEngineTests.World(services: ["api"])
        let printed = Transcript()
        let reporter = Reporter(
            mode: .json, redactor: Redactor(secrets: []), summaryPath: nil, out: { printed.append($0) },
            err: { printed.append($0) })
        let outcome = try await CanaryEngine(
            config: config, service: try XCTUnwrap(config.service(named: "api")),
            env: try XCTUnwrap(config.environments["prod"]), dependencies: world.dependencies(reporter: reporter)
        )
        .promote(PromoteOptions(version: "2", dryRun: true)).succeeded()

        XCTAssertEqual(outcome.outcome, .succeeded)
        let provider = try XCTUnwrap(world.providers["api"])
        XCTAssertEqual(provider.changes, [], "the provider was asked to change nothing")
        XCTAssertEqual(world.flags.current, [:])
        XCTAssertEqual(world.store.all.count, 0, "nothing was written to the log")
        let wouldRun = printed.lines.compactMap { JSONValue.parse($0) }.filter { $0["event"] == "dry-run" }.compactMap {
            $0["message"]?.stringValue
        }
        XCTAssertEqual(
            wouldRun.filter { $0.hasPrefix("would run: ") },
            [
                "would run: shift scripted api:live to 10.0% on 2, the rest on 1",
                "would run: shift scripted api:live to 50.0% on 2, the rest on 1",
                "would run: route all of scripted api:live to 2",
            ])
        XCTAssertEqual(wouldRun.filter { $0.hasPrefix("would watch error-rate") }.count, 2, "\(wouldRun)")
    }
}
