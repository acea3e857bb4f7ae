import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// The judge against the real Prometheus, scraping the traffic simulator turned down to a micro
/// app's traffic: 2 requests/s per function, Poisson arrivals, 2 % failures on every version.
final class JudgeEndToEndTests: WorldTestCase {
    static func service(_ name: String, function: String) -> String {
        """
          \(name):
            provider: lambda
            lambda: { function: \(function), alias: live }
            strategy: { steps: [ { weight: 50, pause: 20s }, { weight: 100 } ] }
            analysis:
              interval: 2s
              judge: { confidence: 0.98, min_requests: 400, max_extension: 10m, on_insufficient: revert }
              metrics:
                - name: error-rate
                  prometheus:
                    failures: sum(increase(llm_requests_total{function="{{function}}",version="{{version}}",status="error"}[{{window}}]))
                    total: sum(increase(llm_requests_total{function="{{function}}",version="{{version}}"}[{{window}}]))
                  max_increase: 50%
        """
    }

    /// Five versions as healthy as stable all reach 100 %; five failing a fifth of their requests are
    /// all reverted, each with the judge's evidence in the output and in the audit log. At 2 requests/s
    /// that takes minutes: stable fails about once a minute, and telling 10x from the allowed 1.5x at
    /// 0.98 needs a few hundred canary requests (at a 50 % step, the in-process simulation catches
    /// 92 % of such canaries by 200 requests and 98.7 % by 300); the ten canaries run at once.
    func testGoodVersionsArePromotedAndBadOnesRevertedAtTwoRequestsASecond() async throws {
        let good = (0..<5).map { "judge-good-\($0)" }
        let bad = (0..<5).map { "judge-bad-\($0)" }
        try await world.createFunctions(good + bad, versions: 2)
        try await world.setMicroAppTraffic(requestsPerSecond: 2)
        for version in ["1", "2"] { try await world.setBehaviour(version: version, errorRate: 0.02) }
        for function in bad { try await world.setBehaviour(version: "2", errorRate: 0.2, function: function) }
        // The judge's first windows are a few seconds long: they must not reach back into the world's
        // default flow of 50 requests/s without failures, which would add some 25 flawless requests to stable.
        try await Task.sleep(for: .seconds(5))
        let services = (good + bad).map { Self.service($0.replacingOccurrences(of: "judge-", with: ""), function: $0) }
        let config = try world.writeConfig(SampleConfig.inWorld(services: services.joined(separator: "\n")))

        let versions = (good + bad).flatMap { ["--version", "\($0.replacingOccurrences(of: "judge-", with: ""))=2"] }
        let run = await world.shipctl(
            ["promote", "--all", "--max-parallel", "10", "--env", "prod"] + versions, config: config,
            timeout: .seconds(900))
        XCTAssertEqual(run.status, 3, run.output)
        for function in good {
            let alias = try await world.alias(function)
            XCTAssertEqual(alias.version, "2", "\(function) is as healthy as stable: \(run.output)")
        }
        for function in bad {
            let alias = try await world.alias(function)
            XCTAssertEqual(alias.version, "1", "\(function) fails a fifth of its requests: \(run.output)")
            XCTAssertTrue(alias.weights.isEmpty)
        }
        let records = try world.auditRecords()
        for function in bad {
            let service = function.replacingOccurrences(of: "judge-", with: "")
            let failed = records.last {
                $0["service"]?.stringValue == service && $0["action"]?.stringValue == AuditAction.analysis
                    && $0["outcome"]?.stringValue == "fail"
            }
            let judge = try XCTUnwrap(failed?["args"]?["judge"], "\(service) has no failed judged evaluation")
            XCTAssertGreaterThan(judge["ratio_lower_bound"]?.doubleValue ?? 0, 1.5, "\(judge)")
            XCTAssertTrue(run.output.contains("\(service):") && run.output.contains("rate ratio ≥"), run.output)
        }
        let verify = await world.shipctl(["audit", "verify"], config: config)
        XCTAssertEqual(verify.status, 0, verify.output)
    }

    /// At the world's full traffic (a steady 50 requests/s) a judged metric is as quick as a threshold:
    /// a canary whose error rate jumps to 50 % is reverted within the detection target of 2.5 s after
    /// the first scrape that shows it (a scrape each second; here timed from the jump, so 1 s more).
    func testAJumpToHalfTheRequestsFailingIsRevertedWithinTheDetectionTarget() async throws {
        try await world.createFunction("judge-fast", versions: 2)
        let config = try world.writeConfig(
            SampleConfig.inWorld(
                services: Self.service("api", function: "judge-fast")
                    .replacingOccurrences(of: "pause: 20s", with: "pause: 60s").replacingOccurrences(
                        of: "interval: 2s", with: "interval: 1s"
                    )
                    .replacingOccurrences(of: "min_requests: 400", with: "min_requests: 50")))
        let output = world.directory.appendingPathComponent("promote.out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        let promote = try world.startShipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config, output: handle)
        var analysed = false
        for _ in 0..<300 where !analysed && promote.isRunning {
            try await Task.sleep(for: .milliseconds(100))
            analysed =
                (try? world.auditRecords().filter { $0["action"]?.stringValue == AuditAction.analysis }.count) ?? 0
                >= 3
        }
        XCTAssertTrue(analysed, "the canary never got to its analysis")
        let jumped = Date()
        try await world.setBehaviour(version: "2", errorRate: 0.5)
        while promote.isRunning && Date().timeIntervalSince(jumped) < 60 {
            try await Task.sleep(for: .milliseconds(50))
        }
        if promote.isRunning { promote.terminate() }
        promote.waitUntilExit()
        try handle.close()
        let said = try String(contentsOf: output, encoding: .utf8)
        XCTAssertEqual(promote.terminationStatus, 3, said)
        let revert = try XCTUnwrap(
            world.auditRecords().first {
                $0["action"]?.stringValue == AuditAction.trafficRevert && $0["phase"]?.stringValue == "result"
            })
        let reverted = try XCTUnwrap(revert["ts"]?.stringValue.flatMap(Timestamp.parse))
        let took = reverted.timeIntervalSince(jumped)
        print("a jump to 50 % errors was reverted \(took) s after it began")
        XCTAssertLessThan(took, 3.5, said)
        XCTAssertTrue(said.contains("rate ratio ≥"), said)

        // `analyze` replays the canary from its first shift through the same watch, reading the judge's
        // counts from Prometheus as of each evaluation's time: it trips too, after the jump.
        let shifted = try XCTUnwrap(
            world.auditRecords().first {
                $0["action"]?.stringValue == AuditAction.trafficShift && $0["phase"]?.stringValue == "result"
            })
        let from = try XCTUnwrap(shifted["ts"]?.stringValue.flatMap(Timestamp.parse))
        try await Task.sleep(for: .seconds(2))
        let replay = await world.shipctl(
            [
                "analyze", "--service", "api", "--env", "prod", "--version", "2", "--baseline", "1", "--json",
                "--from", Timestamp.format(from), "--to", Timestamp.format(reverted.addingTimeInterval(1)),
            ], config: config)
        XCTAssertEqual(replay.status, 3, replay.output)
        let outcome = try XCTUnwrap(
            replay.stdout.split(separator: "\n").compactMap { JSONValue.parse(String($0)) }.first {
                $0["tripped"] != nil
            })
        XCTAssertEqual(outcome["tripped"]?["metric"]?.stringValue, "error-rate", replay.stdout)
        XCTAssertTrue(outcome["tripped"]?["reason"]?.stringValue?.contains("rate ratio ≥") ?? false, replay.stdout)
        let tripped = try XCTUnwrap(outcome["tripped"]?["at"]?.stringValue.flatMap(Timestamp.parse))
        XCTAssertGreaterThan(tripped, jumped.addingTimeInterval(-1), replay.stdout)
        XCTAssertLessThanOrEqual(tripped, reverted.addingTimeInterval(1), replay.stdout)
    }

    /// Steps on evidence through the binary: `plan` says the step waits for its evidence and how long that
    /// will likely take at stable's traffic; at 0.2 requests/s a canary cannot show it before a one-minute
    /// ceiling and is held (exit 5, split kept, recorded as `ceiling`); once traffic comes, `resume` carries
    /// it on to 100 % as soon as its evidence is shown.
    func testTheCeilingHoldsAQuietCanaryAndResumeCarriesItOnOnceTrafficComes() async throws {
        try await world.createFunction("judge-ceiling", versions: 2)
        try await world.setMicroAppTraffic(requestsPerSecond: 0.2)
        for version in ["1", "2"] { try await world.setBehaviour(version: version, errorRate: 0.02) }
        let service = """
              ceiling-app:
                provider: lambda
                lambda: { function: judge-ceiling, alias: live }
                strategy: { steps: [ { weight: 50, evidence: 4x }, { weight: 100 } ] }
                analysis:
                  interval: 2s
                  judge: { ceiling: 60s, on_ceiling: hold, history: 0s }
                  metrics:
                    - name: error-rate
                      prometheus:
                        failures: sum(increase(llm_requests_total{function="judge-ceiling",version="{{version}}",status="error"}[{{window}}]))
                        total: sum(increase(llm_requests_total{function="judge-ceiling",version="{{version}}"}[{{window}}]))
                      max_increase: 0%
            """
        let config = try world.writeConfig(SampleConfig.inWorld(services: service))
        try await Task.sleep(for: .seconds(5))
        let target = ["--service", "ceiling-app", "--env", "prod"]
        let plan = await world.shipctl(["plan"] + target + ["--version", "2"], config: config)
        XCTAssertEqual(plan.status, 0, plan.output)
        XCTAssertTrue(plan.stdout.contains("50% until shown < 4x → 100%"), plan.stdout)
        XCTAssertTrue(plan.stdout.contains("evidence at stable 1 over the last 1m: "), plan.stdout)
        XCTAssertTrue(plan.stdout.contains("step 1/2: a version as good as stable shows it in ~"), plan.stdout)

        let held = await world.shipctl(
            ["promote"] + target + ["--version", "2"], config: config, timeout: .seconds(180))
        XCTAssertEqual(held.status, 5, held.output)
        XCTAssertTrue(
            held.output.contains("ceiling reached") && held.output.contains("on_ceiling is hold"), held.output)
        let alias = try await world.alias("judge-ceiling")
        XCTAssertEqual(alias.weights["2"] ?? 0, 0.5, accuracy: 0.001, "the split is kept: \(alias)")
        XCTAssertTrue(
            try world.auditRecords().contains {
                $0["action"]?.stringValue == AuditAction.analysis && $0["outcome"]?.stringValue == "ceiling"
            })

        try await world.setMicroAppTraffic(requestsPerSecond: 50)
        let resumed = await world.shipctl(["resume"] + target, config: config, timeout: .seconds(180))
        XCTAssertEqual(resumed.status, 0, resumed.output)
        let after = try await world.alias("judge-ceiling")
        XCTAssertEqual(after.version, "2", resumed.output)
        XCTAssertTrue(after.weights.isEmpty)
        XCTAssertTrue(
            try world.auditRecords().contains {
                $0["action"]?.stringValue == AuditAction.analysis && $0["outcome"]?.stringValue == "proven"
            })
    }
}
