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
              judge: { confidence: 0.98, min_requests: 150, max_extension: 5m, on_insufficient: revert }
              metrics:
                - name: error-rate
                  prometheus:
                    failures: sum(increase(llm_requests_total{function="{{function}}",version="{{version}}",status="error"}[{{window}}]))
                    total: sum(increase(llm_requests_total{function="{{function}}",version="{{version}}"}[{{window}}]))
                  max_increase: 50%
        """
    }

    /// Five versions as healthy as stable all reach 100 %; five failing a fifth of their requests are
    /// all reverted, each with the judge's evidence in the output and in the audit log.
    func testGoodVersionsArePromotedAndBadOnesRevertedAtTwoRequestsASecond() async throws {
        let good = (0..<5).map { "judge-good-\($0)" }, bad = (0..<5).map { "judge-bad-\($0)" }
        try await world.createFunctions(good + bad, versions: 2)
        try await world.setMicroAppTraffic(requestsPerSecond: 2)
        for version in ["1", "2"] { try await world.setBehaviour(version: version, errorRate: 0.02) }
        for function in bad { try await world.setBehaviour(version: "2", errorRate: 0.2, function: function) }
        let services = (good + bad).map { Self.service($0.replacingOccurrences(of: "judge-", with: ""), function: $0) }
        let config = try world.writeConfig(SampleConfig.inWorld(services: services.joined(separator: "\n")))

        let run = await world.shipctl(["promote", "--all", "--max-parallel", "10", "--version", "2", "--env", "prod"], config: config,
                                      timeout: .seconds(600))
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
            let failed = records.last { $0["service"]?.stringValue == service && $0["action"]?.stringValue == AuditAction.analysis
                && $0["outcome"]?.stringValue == "fail" }
            let judge = try XCTUnwrap(failed?["args"]?["judge"], "\(service) has no failed judged evaluation")
            XCTAssertGreaterThan(judge["ratio_lower_bound"]?.doubleValue ?? 0, 1.5, "\(judge)")
            XCTAssertTrue(run.output.contains("\(service):") && run.output.contains("rate ratio ≥"), run.output)
        }
        let verify = await world.shipctl(["audit", "verify"], config: config)
        XCTAssertEqual(verify.status, 0, verify.output)
    }
}
