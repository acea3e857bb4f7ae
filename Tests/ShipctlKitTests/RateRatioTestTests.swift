import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// The sequential rate-ratio test on simulated micro-app traffic: Poisson arrivals at 2 requests/s
/// in all, failures drawn per request, steps 20 % and 60 % with 20 s pauses that a step may extend
/// until the canary has `min_requests`, evaluated every 2 s. Seeded, so every run sees the same canaries.
final class RateRatioTestTests: XCTestCase {
    typealias Traffic = CanarySimulation.Traffic

    static func judge(minRequests: Int) -> CanarySimulation.Judge {
        CanarySimulation.Judge(config: JudgeConfig(minRequests: .count(minRequests)))
    }

    /// What a fixed-sample test does when it is looked at every interval: the exact one-sided
    /// conditional binomial test of the counts so far, at the same level, repeated.
    struct RepeatedFixedSample: CanarySimulation.Gate {
        var totals = RateRatioTest.Increment(canaryRequests: 0, canaryFailures: 0, stableRequests: 0, stableFailures: 0)
        let requestsNeeded = 30.0

        func holdsEvidence(_ ratio: Double) -> Bool { false }

        mutating func begin(history: StableHistory) {}

        mutating func evaluate(_ increment: RateRatioTest.Increment) -> Bool {
            totals.canaryRequests += increment.canaryRequests
            totals.canaryFailures += increment.canaryFailures
            totals.stableRequests += increment.stableRequests
            totals.stableFailures += increment.stableFailures
            let failures = Int(totals.canaryFailures + totals.stableFailures)
            guard failures > 0, totals.canaryRequests > 0, totals.stableRequests > 0 else { return false }
            let p0 = 1.5 * totals.canaryRequests / (1.5 * totals.canaryRequests + totals.stableRequests)
            return RateRatioTestTests.binomialUpperTail(failures, p0, atLeast: Int(totals.canaryFailures)) <= 0.02
        }
    }

    /// P(Binomial(n, p) ≥ k).
    static func binomialUpperTail(_ n: Int, _ p: Double, atLeast k: Int) -> Double {
        guard k > 0 else { return 1 }
        var sum = 0.0
        for i in k...max(k, n) where i <= n {
            let logChoose: Double = lgamma(Double(n + 1)) - lgamma(Double(i + 1)) - lgamma(Double(n - i + 1))
            let logProbability: Double = Double(i) * log(p) + Double(n - i) * log(1 - p)
            sum += exp(logChoose + logProbability)
        }
        return sum
    }

    static func share(_ endings: [CanarySimulation.Ending], _ matches: (CanarySimulation.Ending) -> Bool) -> Double {
        Double(endings.filter(matches).count) / Double(endings.count)
    }

    /// Good canaries (as healthy as stable) looked at every 2 s: the sequential test reverts at most
    /// 1 − confidence of them; the same looks with a fixed-sample test revert more.
    func testGoodCanariesAreRarelyRevertedHoweverOftenTheyAreLookedAt() {
        let canaries = 2000
        let sequential = CanarySimulation.endings(Traffic(), canaries: canaries, seed: 7) {
            Self.judge(minRequests: 30)
        }
        let repeated = CanarySimulation.endings(Traffic(), canaries: canaries, seed: 7) { RepeatedFixedSample() }
        let sequentialRate = Self.share(sequential, \.isReverted)
        let repeatedRate = Self.share(repeated, \.isReverted)
        print(
            "good canaries reverted, of \(canaries): sequential test \(sequentialRate * 100) %, "
                + "fixed-sample test repeated at every interval \(repeatedRate * 100) %")
        XCTAssertLessThanOrEqual(sequentialRate, 0.02)
        XCTAssertGreaterThan(repeatedRate, sequentialRate)
        XCTAssertEqual(
            Self.share(sequential) { $0 == .insufficient }, 0,
            "2 requests/s reach 30 canary requests well within the extension")
    }

    /// Canaries failing at ten times stable's 2 %. What a step waits for sets the power: stable's
    /// own failures are few at 2 requests/s, and no test valid at 0.98 can tell 10x from 1.5x on
    /// fewer. With `min_requests: 100` about 90 % are reverted before they reach 100 %.
    func testTenfoldRegressionsAreRevertedGivenTheSampleTheyNeed() {
        var traffic = Traffic()
        traffic.canaryFailureRate = 0.2
        let canaries = 2000
        var caught: [Int: Double] = [:]
        for minRequests in [30, 100] {
            let endings = CanarySimulation.endings(traffic, canaries: canaries, seed: 11) {
                Self.judge(minRequests: minRequests)
            }
            caught[minRequests] = Self.share(endings, \.isReverted)
            let times = endings.compactMap { if case .reverted(let at) = $0 { at } else { nil } }.sorted()
            print(
                "10x regressions reverted with min_requests \(minRequests): \((caught[minRequests] ?? 0) * 100) %, "
                    + "median after \(times.isEmpty ? 0 : times[times.count / 2]) s")
        }
        XCTAssertGreaterThanOrEqual(caught[100] ?? 0, 0.88)
        XCTAssertGreaterThan(caught[30] ?? 0, 0.3)
    }

    /// A few failures among a handful of canary requests against a clean stable version are evidence.
    func testAClearRegressionIsCaughtFromAFewRequests() {
        var test = RateRatioTest(allowedRatio: 1.5, confidence: 0.98)
        test.observe(.init(canaryRequests: 8, canaryFailures: 3, stableRequests: 32, stableFailures: 0))
        XCTAssertFalse(test.rejects, "three failures in eight requests are not yet enough: evidence \(test.evidence)")
        XCTAssertLessThanOrEqual(test.lowerBound, 1.5)
        test.observe(.init(canaryRequests: 4, canaryFailures: 2, stableRequests: 16, stableFailures: 0))
        XCTAssertTrue(test.rejects, "five of twelve against none of 48: evidence \(test.evidence)")
        XCTAssertGreaterThan(test.lowerBound, 1.5)
        XCTAssertEqual(test.canaryRate ?? 0, 5.0 / 12, accuracy: 1e-9)
        XCTAssertEqual(test.stableRate, 0)
    }

    /// Nothing crashes on counts a backend should not send: negative, fractional, infinite, failures without requests.
    func testOddCountsAreReadSafely() {
        var test = RateRatioTest(allowedRatio: 1.5, confidence: 0.98)
        test.observe(.init(canaryRequests: -3, canaryFailures: 2.6, stableRequests: .nan, stableFailures: .infinity))
        test.observe(.init(canaryRequests: 0, canaryFailures: 0, stableRequests: 0, stableFailures: 0))
        XCTAssertEqual(test.total.canaryRequests, 3, "failures count as requests at least")
        XCTAssertEqual(test.total.stableFailures, 0)
        XCTAssertTrue(test.evidence.isFinite)
        XCTAssertFalse(test.rejects)
    }

    /// Evaluations in which one version served nothing: their failures are folded into the next comparison,
    /// not dropped. Before, a canary failing every request between stable's requests was never caught.
    func testAnIncrementWhereOneVersionServedNothingIsFoldedIntoTheNext() {
        var test = RateRatioTest(allowedRatio: 1, confidence: 0.98)
        for _ in 0..<6 {
            test.observe(.init(canaryRequests: 2, canaryFailures: 2, stableRequests: 0, stableFailures: 0))
            test.observe(.init(canaryRequests: 0, canaryFailures: 0, stableRequests: 2, stableFailures: 0))
        }
        XCTAssertEqual(test.total.canaryFailures, 12)
        XCTAssertTrue(test.rejects, "12 of 12 canary requests failed against 0 of 12: evidence \(test.evidence)")
    }

    /// How often a 10x regression is caught must not depend on how finely it is looked at: at 1 s,
    /// most evaluations at 2 requests/s have one version without a request.
    func testTenfoldRegressionsAreCaughtAlikeAtOneAndFiveSecondIntervals() {
        var caught: [Double] = []
        for interval in [1.0, 5.0] {
            var traffic = Traffic()
            traffic.canaryFailureRate = 0.2
            traffic.interval = interval
            let endings = CanarySimulation.endings(traffic, canaries: 2000, seed: 21) { Self.judge(minRequests: 30) }
            caught.append(Self.share(endings, \.isReverted))
        }
        print("10x regressions caught at a 1 s interval \(caught[0] * 100) %, at 5 s \(caught[1] * 100) %")
        XCTAssertEqual(caught[0], caught[1], accuracy: 0.06)
    }
}
