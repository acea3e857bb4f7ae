import Foundation
import ShipctlTestSupport
import XCTest

@testable import ShipctlKit

/// What a waiting step says of the time left: about right for the typical canary.
final class EvidenceTimeLeftTests: XCTestCase {
    /// Good canaries at 2 requests/s (50 % each), 2 % failing, 5 s evaluations, no history: the estimate said
    /// at the first evaluation after a minute that gives one, against the time each canary then really took to
    /// show `evidence: 4x`. The medians agree within a factor of two.
    func testTheTimeLeftSaidWhileWaitingIsAboutTheTimeTheEvidenceTakes() throws {
        var random = SeededRandom(seed: 35)
        var estimated: [Double] = []
        var actual: [Double] = []
        for _ in 0..<200 {
            var test = RateRatioTest(allowedRatio: 1, confidence: 0.98, advanceConfidence: 0.95)
            var said: (at: Double, left: Double)?
            for tick in 1...720 {
                let canary = random.poisson(5)
                let stable = random.poisson(5)
                test.observe(
                    .init(
                        canaryRequests: Double(canary), canaryFailures: Double(random.binomial(canary, 0.02)),
                        stableRequests: Double(stable), stableFailures: Double(random.binomial(stable, 0.02))))
                let seconds = Double(tick * 5)
                if test.provesBelow(4) {
                    if let said {
                        estimated.append(said.left)
                        actual.append(seconds - said.at)
                    }
                    break
                }
                let text = MetricEvaluator.timeLeft(
                    test: test, upperBound: test.upperBound, evidence: 4, window: "\(Int(seconds))s")
                if said == nil, seconds >= 60, let left = Self.seconds(in: text) { said = (seconds, left) }
            }
        }
        XCTAssertGreaterThan(estimated.count, 100, "most canaries got an estimate before their evidence")
        let medianEstimate = estimated.sorted()[estimated.count / 2]
        let medianActual = actual.sorted()[actual.count / 2]
        print("time left to evidence: said \(medianEstimate) s, took \(medianActual) s (medians of \(actual.count))")
        XCTAssertLessThan(medianEstimate, 2 * medianActual)
        XCTAssertGreaterThan(medianEstimate, medianActual / 2)
    }

    /// The seconds in "about 2m30s more".
    static func seconds(in text: String) -> Double? {
        guard let start = text.range(of: "about "), let end = text.range(of: " more") else { return nil }
        return DurationParser.parse(String(text[start.upperBound..<end.lowerBound]))?.timeInterval
    }
}
