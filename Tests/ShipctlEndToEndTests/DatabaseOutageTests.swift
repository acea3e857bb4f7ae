import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// The team database restarts in the middle of a canary whose gate is failing: the real
/// PostgreSQL stopped at once and started again seconds later, as a crash or a failover does.
final class DatabaseOutageTests: WorldTestCase {
    override class var startsPostgres: Bool { true }

    static func config(function: String) -> String {
        """
        version: 1
        state: { url: "${SHIPCTL_STATE_URL}" }
        environments:
          prod: { region: us-east-1, prometheus: "${PROMETHEUS_URL}" }
        services:
          api:
            provider: lambda
            lambda: { function: \(function), alias: live }
            strategy:
              steps:
                - { weight: 20, pause: 60s }
                - { weight: 100 }
            analysis:
              interval: 1s
              failure_limit: 1
              metrics:
                - name: error-rate
                  prometheus: sum(rate(llm_requests_total{function="{{function}}",version="{{canary}}",status="error"}[10s])) / sum(rate(llm_requests_total{function="{{function}}",version="{{canary}}"}[10s]))
                  max: 0.05
        """
    }

    /// Traffic goes back to stable while the database is down, the process ends, and the records of
    /// the revert reach the database once it is back: one end for the deployment, a chain that verifies.
    func testADatabaseRestartMidCanaryRevertsAndTheRecordsArriveAfterwards() async throws {
        try await world.createFunction("outage-app", versions: 2)
        let config = try world.writeConfig(Self.config(function: "outage-app"))
        let output = world.directory.appendingPathComponent("promote.out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        let promote = try world.startShipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config, output: handle)
        var shifted = false
        for _ in 0..<300 where !shifted && promote.isRunning {
            try await Task.sleep(for: .milliseconds(100))
            shifted = try await world.alias("outage-app").weights["2"] == 0.2
        }
        XCTAssertTrue(shifted, "the canary never took 20%")

        try await world.setBehaviour(version: "2", errorRate: 1.0)
        let stopped = Date()
        let world: TestWorld = self.world
        let restarted = Task { await world.pausePostgres(for: 4) }
        var reverted: TimeInterval?
        while reverted == nil && Date().timeIntervalSince(stopped) < 30 {
            let alias = try await world.alias("outage-app")
            if alias.version == "1" && alias.weights.isEmpty { reverted = Date().timeIntervalSince(stopped) }
        }
        let databaseBack = await restarted.value
        XCTAssertTrue(databaseBack, "PostgreSQL did not start again")
        while promote.isRunning && Date().timeIntervalSince(stopped) < 60 {
            try await Task.sleep(for: .milliseconds(100))
        }
        if promote.isRunning { promote.terminate() }
        promote.waitUntilExit()
        try handle.close()
        let said = try String(contentsOf: output, encoding: .utf8)

        let revertedAfter = try XCTUnwrap(reverted, "traffic never went back to stable: \(said)")
        // Within the detection target (2.5 s), plus the time the aws CLI takes to read the alias here.
        XCTAssertLessThan(revertedAfter, 5, said)
        // The first database step to fail ends the canary: an analysis record that cannot be written (exit 1),
        // or the lock found lost at the interval with nobody able to take it (exit 3). Either way it reverted.
        XCTAssertTrue([1, 3].contains(promote.terminationStatus), "exit \(promote.terminationStatus): \(said)")
        XCTAssertTrue(
            said.contains("cannot reach the state database") || said.contains("the state database does not answer"),
            said)
        XCTAssertTrue(said.contains("traffic goes back regardless"), said)
        XCTAssertTrue(said.contains("the audit log answers again"), said)

        let shown = await world.shipctl(["audit", "show", "--json"], config: config)
        XCTAssertEqual(shown.status, 0, shown.output)
        let records = shown.stdout.split(separator: "\n").compactMap { JSONValue.parse(String($0)) }
        let reverts = records.filter { $0["action"]?.stringValue == AuditAction.trafficRevert }
        XCTAssertEqual(reverts.compactMap { $0["phase"]?.stringValue }, ["intent", "result"], "\(records)")
        XCTAssertTrue(reverts.allSatisfy { $0["args"]?["spooled_at"] != nil }, "\(reverts)")
        let finishes = records.filter { $0["action"]?.stringValue == AuditAction.deploymentFinish }
        XCTAssertEqual(finishes.compactMap { $0["outcome"]?.stringValue }, ["rolled-back"])
        let verify = await world.shipctl(["audit", "verify"], config: config)
        XCTAssertEqual(verify.status, 0, verify.output)
        let status = await world.shipctl(["status", "--service", "api", "--env", "prod"], config: config)
        XCTAssertTrue(status.stdout.contains("deployment:       none in flight"), status.output)
    }
}
