import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// Stable's history in the judge: joined in pieces as the canary accrues requests, dropped when stable's rate
/// departs from it, and never able to make a canary look better than the concurrent counts allow.
final class StableHistoryTests: XCTestCase {
    static func minutes(_ count: Int, requests: Double = 120, failures: Double = 2) -> [StableHistory.Piece] {
        (0..<count).map { _ in StableHistory.Piece(requests: requests, failures: failures) }
    }

    func testPiecesJoinOnlyAsTheCanaryAccruesRequests() {
        var test = RateRatioTest(
            allowedRatio: 1, confidence: 0.98, history: StableHistory(pieces: Self.minutes(60)))
        test.observe(.init(canaryRequests: 5, canaryFailures: 0, stableRequests: 5, stableFailures: 0))
        XCTAssertEqual(test.history?.joined.requests, 0, "50 history requests allowed, a piece holds 120")
        test.observe(.init(canaryRequests: 20, canaryFailures: 0, stableRequests: 20, stableFailures: 0))
        XCTAssertEqual(test.history?.joined.requests, 240, "25 canary requests let two pieces join")
        XCTAssertEqual(StableHistory(pieces: Self.minutes(60)).available.requests, 7200)
    }

    /// Stable failing 10 % now against 1.7 % in its history: the guard drops the history, and says why.
    func testTheGuardDropsAHistoryStableNoLongerMatches() {
        var random = SeededRandom(seed: 3)
        var test = RateRatioTest(
            allowedRatio: 1, confidence: 0.98, history: StableHistory(pieces: Self.minutes(60)))
        for _ in 0..<120 {
            let stable = random.poisson(5)
            test.observe(
                .init(
                    canaryRequests: 5, canaryFailures: 0, stableRequests: Double(stable),
                    stableFailures: Double(random.binomial(stable, 0.1))))
            if test.history?.dropped != nil { break }
        }
        let dropped = test.history?.dropped ?? ""
        XCTAssertTrue(dropped.contains("departs from its history"), dropped)
    }

    /// The mirror bound, with and without a history that matches: a canary failing 4x as often is shown
    /// below 4 at most 5 % of the time however long it is watched (here 30 minutes at 5 s, 1 request/s a
    /// side); a good one is shown below 4 within minutes, sooner with the history; the guard rarely trips.
    func testAMatchingHistoryKeepsTheBoundValidAndShortensTheWait() {
        var random = SeededRandom(seed: 8)
        func run(ratio: Double, history: Bool) -> (proven: Double, tripped: Double, median: Double) {
            var proven: [Double] = []
            var tripped = 0
            let canaries = 300
            for _ in 0..<canaries {
                let pieces = (0..<60).map { _ in
                    let requests = random.poisson(120)
                    return StableHistory.Piece(
                        requests: Double(requests), failures: Double(random.binomial(requests, 0.02)))
                }
                var test = RateRatioTest(
                    allowedRatio: 1, confidence: 0.98, history: history ? StableHistory(pieces: pieces) : nil)
                for tick in 1...360 {
                    let canary = random.poisson(5)
                    let stable = random.poisson(5)
                    test.observe(
                        .init(
                            canaryRequests: Double(canary),
                            canaryFailures: Double(random.binomial(canary, 0.02 * ratio)),
                            stableRequests: Double(stable), stableFailures: Double(random.binomial(stable, 0.02))))
                    if test.provesBelow(4) {
                        proven.append(Double(tick) * 5)
                        break
                    }
                }
                if test.history?.dropped != nil { tripped += 1 }
            }
            proven.sort()
            return (
                Double(proven.count) / Double(canaries), Double(tripped) / Double(canaries),
                proven.isEmpty ? .infinity : proven[proven.count / 2]
            )
        }
        let good = run(ratio: 1, history: true)
        let goodAlone = run(ratio: 1, history: false)
        let bad = run(ratio: 4, history: true)
        let badAlone = run(ratio: 4, history: false)
        print(
            "with history: good shown below 4x in a median \(good.median) s (alone \(goodAlone.median) s), "
                + "guard tripped \(good.tripped * 100) %; 4x shown below 4 \(bad.proven * 100) % "
                + "(alone \(badAlone.proven * 100) %)")
        XCTAssertLessThan(good.median, goodAlone.median)
        XCTAssertGreaterThan(goodAlone.proven, 0.95)
        XCTAssertLessThanOrEqual(good.tripped, 0.15)
        XCTAssertLessThanOrEqual(bad.proven, 0.05)
        XCTAssertLessThanOrEqual(badAlone.proven, 0.05)
    }

    func testOddPiecesAreReadSafely() {
        let history = StableHistory(pieces: [
            .init(requests: .nan, failures: 3), .init(requests: -5, failures: 1), .init(requests: 10, failures: 40),
            .init(requests: .infinity, failures: 0),
        ])
        XCTAssertEqual(history.available.requests, 10, "a piece without a finite count of requests is left out")
        XCTAssertEqual(history.available.failures, 10, "failures are never more than requests")
    }
}
