import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// The first part of the fault suite (issue "Survive faults"): cancelled CI
/// jobs and a metrics backend that goes away mid-canary.
final class FaultTests: WorldTestCase {

    static let longPause = """
                  - { weight: 10, pause: 60s }
                  - { weight: 100 }
        """

    /// Starts `promote` as a child we can signal, and waits until the canary holds traffic.
    func startPromote(config: String) async throws -> Process {
        let process = try world.startShipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config)
        for _ in 0..<300 {
            let audit = (try? String(contentsOfFile: world.auditLogPath, encoding: .utf8)) ?? ""
            if audit.contains("\"action\":\"analysis\"") { return process }
            try await Task.sleep(for: .milliseconds(100))
        }
        process.terminate()
        throw TestWorldError("the canary never reached its analysis")
    }

    func waitForExit(_ process: Process, within seconds: Double) async throws -> Double {
        let started = Date()
        while process.isRunning {
            if Date().timeIntervalSince(started) > seconds {
                kill(process.processIdentifier, SIGKILL)
                XCTFail("shipctl did not exit within \(seconds)s of the signal")
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return Date().timeIntervalSince(started)
    }

    func assertCancelled(by signal: Int32, expectedStatus: Int32) async throws {
        try await world.createFunction("cancel-app", versions: 2)
        let config = try world.writeConfig(LambdaPromoteTests.config(function: "cancel-app", steps: Self.longPause))
        let process = try await startPromote(config: config)
        let before = try await world.alias("cancel-app")
        XCTAssertEqual(before.weights["2"], 0.1)

        kill(process.processIdentifier, signal)
        // An impatient second Ctrl-C (or the runner's SIGTERM) must not abandon the revert half way.
        try await Task.sleep(for: .milliseconds(50))
        kill(process.processIdentifier, signal == SIGINT ? SIGTERM : SIGINT)
        let elapsed = try await waitForExit(process, within: 7.5)

        XCTAssertLessThan(elapsed, 5, "revert took \(elapsed)s")
        XCTAssertEqual(process.terminationStatus, expectedStatus)
        let alias = try await world.alias("cancel-app")
        XCTAssertEqual(alias.version, "1")
        XCTAssertTrue(alias.weights.isEmpty, "\(alias.weights)")
        let audit = try String(contentsOfFile: world.auditLogPath, encoding: .utf8)
        XCTAssertTrue(audit.contains("\"outcome\":\"cancelled\""), audit)
        let verify = await world.shipctl(["audit", "verify"], config: config)
        XCTAssertEqual(verify.status, 0, verify.output)
        let status = await world.shipctl(["status", "--service", "api", "--env", "prod", "--json"], config: config)
        XCTAssertEqual(JSONValue.parse(status.stdout)?["in_flight"], .null, status.output)
    }

    func testSIGINTMidPauseRevertsAndExits130() async throws {
        try await assertCancelled(by: SIGINT, expectedStatus: 130)
    }

    func testSIGTERMMidPauseRevertsAndExits143() async throws {
        try await assertCancelled(by: SIGTERM, expectedStatus: 143)
    }

    func testPrometheusGoingAwayIsInconclusiveAndReverts() async throws {
        try await world.createFunction("blind-app", versions: 2)
        let config = try world.writeConfig(
            LambdaPromoteTests.config(function: "blind-app", steps: Self.longPause, inconclusiveLimit: 2))
        let process = try await startPromote(config: config)

        await world.stop("prometheus")
        _ = try await waitForExit(process, within: 30)

        XCTAssertEqual(process.terminationStatus, 3)
        let alias = try await world.alias("blind-app")
        XCTAssertEqual(alias.version, "1")
        XCTAssertTrue(alias.weights.isEmpty)
        let records = try String(contentsOfFile: world.auditLogPath, encoding: .utf8).split(separator: "\n").compactMap
        { JSONValue.parse(String($0)) }
        let finish = records.last { $0["action"]?.stringValue == "deployment.finish" }
        XCTAssertEqual(finish?["outcome"]?.stringValue, "rolled-back")
        let reason = finish?["args"]?["reason"]?.stringValue ?? ""
        XCTAssertTrue(reason.contains("inconclusive") && reason.contains("unreachable"), reason)
    }
}
