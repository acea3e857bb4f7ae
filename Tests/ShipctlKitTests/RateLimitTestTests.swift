import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// `max`/`min` on a judged count metric: judged on the canary's counts at the confidence. Before, the
/// cumulative rate was compared raw at every evaluation, and a good version's first unlucky failures among a
/// few requests reverted it.
final class RateLimitTestTests: XCTestCase {
    /// 10 minutes of a canary at 1 request/s, looked at every 5 s, against `max: 0.05`.
    func share(failing rate: Double, canaries: Int, seed: UInt64, raw: Bool) -> Double {
        var random = SeededRandom(seed: seed)
        var broken = 0
        for _ in 0..<canaries {
            var (failures, requests) = (0.0, 0.0)
            for _ in 0..<120 {
                let served = random.poisson(5)
                requests += Double(served)
                failures += Double(random.binomial(served, rate))
                let breaks =
                    raw
                    ? requests > 0 && failures / requests > 0.05
                    : RateLimitTest.breaks(0.05, above: true, failures: failures, requests: requests, confidence: 0.98)
                if breaks {
                    broken += 1
                    break
                }
            }
        }
        return Double(broken) / Double(canaries)
    }

    func testAGoodCanaryUnderItsLimitIsRarelyFailedAndOneFarAboveIsCaught() {
        let goodRaw = share(failing: 0.02, canaries: 2000, seed: 1, raw: true)
        let good = share(failing: 0.02, canaries: 2000, seed: 1, raw: false)
        let atLimit = share(failing: 0.05, canaries: 2000, seed: 2, raw: false)
        let bad = share(failing: 0.2, canaries: 2000, seed: 3, raw: false)
        print(
            "max 0.05: good (2 %) failed raw \(goodRaw * 100) %, judged \(good * 100) %; "
                + "at 5 % \(atLimit * 100) %; 20 % caught \(bad * 100) %"
        )
        XCTAssertGreaterThan(goodRaw, 0.1, "the raw comparison fails good versions")
        XCTAssertLessThanOrEqual(good, 0.02)
        XCTAssertLessThanOrEqual(atLimit, 0.02, "a rate right at the limit is not shown above it")
        XCTAssertGreaterThanOrEqual(bad, 0.99)
    }

    func testLimitsAtTheEdgesAndOddCounts() {
        XCTAssertTrue(RateLimitTest.breaks(0, above: true, failures: 1, requests: 3, confidence: 0.98))
        XCTAssertFalse(RateLimitTest.breaks(0, above: true, failures: 0, requests: 300, confidence: 0.98))
        XCTAssertTrue(RateLimitTest.breaks(0.99, above: false, failures: 200, requests: 300, confidence: 0.98))
        XCTAssertFalse(RateLimitTest.breaks(0.99, above: false, failures: 3, requests: 3, confidence: 0.98))
        for (failures, requests) in [(Double.nan, 3.0), (5, 3), (-1, 3), (1, 0), (1, .infinity)] {
            XCTAssertFalse(
                RateLimitTest.breaks(0.05, above: true, failures: failures, requests: requests, confidence: 0.98))
        }
    }

    /// Through the engine: a judged metric with `max: 0.05`, the ratio to stable allowed to be wide. A good
    /// version ships; one failing 30 % is reverted, the reason naming the limit and the counts.
    func testTheEngineRevertsOnAShownLimitOnly() async throws {
        let lines = EvidenceStepTests.yaml().split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasSuffix("max_increase: 0%")
                ? line.replacingOccurrences(of: "0%", with: "1000%") + "\n"
                    + line.replacingOccurrences(of: "max_increase: 0%", with: "max: 0.05")
                : String(line)
        }
        let yaml = lines.joined(separator: "\n")
        let config = try ConfigLoader(environment: [:]).parse(yaml: yaml, path: "/nonexistent/shipctl.yaml")
        let good = try await JudgeEngineTests.promote(config, seed: 12, history: (3600, 0.02))
        XCTAssertNil(good.error, "\(good.output.suffix(3))")
        let bad = try await JudgeEngineTests.promote(config, canary: 0.3, seed: 12, history: (3600, 0.02))
        guard case .gatesFailed(let reason, _)? = bad.error else {
            return XCTFail("expected a revert: \(String(describing: bad.error))")
        }
        XCTAssertTrue(reason.contains("is shown above max 0.05"), reason)
    }
}
