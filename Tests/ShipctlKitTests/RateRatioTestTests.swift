import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// The sequential rate-ratio test on simulated micro-app traffic: Poisson arrivals at 2 requests/s
/// in all, failures drawn per request, steps 20 % and 60 % with 20 s pauses that a step may extend
/// until the canary has `min_requests`, evaluated every 2 s. Seeded, so every run sees the same canaries.
final class RateRatioTestTests: XCTestCase {
    struct Traffic {
        var requestsPerSecond = 2.0
        var stableFailureRate = 0.02
        var canaryFailureRate = 0.02
        var steps: [(weight: Double, pause: Double)] = [(0.2, 20), (0.6, 20)]
        var interval = 2.0
        var minRequests = 30.0
        var maxExtension = 300.0
    }

    /// How one simulated canary ended, and after how many seconds.
    enum Ending: Equatable {
        case promoted, reverted(Double), insufficient
    }

    /// Runs one canary through its steps; `rejects` is asked at every evaluation with the new counts.
    static func simulate(_ traffic: Traffic, random: inout SeededRandom,
                         rejects: (RateRatioTest.Increment) -> Bool) -> Ending {
        var elapsed = 0.0
        var canaryRequests = 0.0
        for step in traffic.steps {
            var inStep = 0.0
            while true {
                let canary = random.poisson(traffic.requestsPerSecond * step.weight * traffic.interval)
                let stable = random.poisson(traffic.requestsPerSecond * (1 - step.weight) * traffic.interval)
                let increment = RateRatioTest.Increment(
                    canaryRequests: Double(canary), canaryFailures: Double(random.binomial(canary, traffic.canaryFailureRate)),
                    stableRequests: Double(stable), stableFailures: Double(random.binomial(stable, traffic.stableFailureRate)))
                elapsed += traffic.interval
                inStep += traffic.interval
                canaryRequests += increment.canaryRequests
                if rejects(increment) { return .reverted(elapsed) }
                if inStep >= step.pause && canaryRequests >= traffic.minRequests { break }
                if inStep >= step.pause + traffic.maxExtension { return .insufficient }
            }
        }
        return .promoted
    }

    /// The sequential test, fresh for each canary.
    static func sequential(_ traffic: Traffic, canaries: Int, seed: UInt64, allowedRatio: Double = 1.5) -> [Ending] {
        var random = SeededRandom(seed: seed)
        return (0..<canaries).map { _ in
            var test = RateRatioTest(allowedRatio: allowedRatio, confidence: 0.98)
            return simulate(traffic, random: &random) { increment in
                test.observe(increment)
                return test.rejects
            }
        }
    }

    /// What a fixed-sample test does when it is looked at every interval: the exact one-sided
    /// conditional binomial test of the counts so far, at the same level, repeated.
    static func repeatedFixedSample(_ traffic: Traffic, canaries: Int, seed: UInt64) -> [Ending] {
        var random = SeededRandom(seed: seed)
        return (0..<canaries).map { _ in
            var totals = RateRatioTest.Increment(canaryRequests: 0, canaryFailures: 0, stableRequests: 0, stableFailures: 0)
            return simulate(traffic, random: &random) { increment in
                totals.canaryRequests += increment.canaryRequests
                totals.canaryFailures += increment.canaryFailures
                totals.stableRequests += increment.stableRequests
                totals.stableFailures += increment.stableFailures
                let failures = Int(totals.canaryFailures + totals.stableFailures)
                guard failures > 0, totals.canaryRequests > 0, totals.stableRequests > 0 else { return false }
                let p0 = 1.5 * totals.canaryRequests / (1.5 * totals.canaryRequests + totals.stableRequests)
                return binomialUpperTail(failures, p0, atLeast: Int(totals.canaryFailures)) <= 0.02
            }
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

    static func share(_ endings: [Ending], _ matches: (Ending) -> Bool) -> Double {
        Double(endings.filter(matches).count) / Double(endings.count)
    }

    static func isReverted(_ ending: Ending) -> Bool {
        if case .reverted = ending { return true }
        return false
    }

    /// Good canaries (as healthy as stable) looked at every 2 s: the sequential test reverts at most
    /// 1 − confidence of them; the same looks with a fixed-sample test revert more.
    func testGoodCanariesAreRarelyRevertedHoweverOftenTheyAreLookedAt() {
        let canaries = 2000
        let sequential = Self.sequential(Traffic(), canaries: canaries, seed: 7)
        let repeated = Self.repeatedFixedSample(Traffic(), canaries: canaries, seed: 7)
        let sequentialRate = Self.share(sequential, Self.isReverted), repeatedRate = Self.share(repeated, Self.isReverted)
        print("good canaries reverted, of \(canaries): sequential test \(sequentialRate * 100) %, "
              + "fixed-sample test repeated at every interval \(repeatedRate * 100) %")
        XCTAssertLessThanOrEqual(sequentialRate, 0.02)
        XCTAssertGreaterThan(repeatedRate, sequentialRate)
        XCTAssertEqual(Self.share(sequential) { $0 == .insufficient }, 0, "2 requests/s reach 30 canary requests well within the extension")
    }

    /// Canaries failing at ten times stable's 2 %. What a step waits for sets the power: stable's
    /// own failures are few at 2 requests/s, and no test valid at 0.98 can tell 10x from 1.5x on
    /// fewer. With `min_requests: 100` about 90 % are reverted before they reach 100 %.
    func testTenfoldRegressionsAreRevertedGivenTheSampleTheyNeed() {
        var traffic = Traffic()
        traffic.canaryFailureRate = 0.2
        let canaries = 2000
        var caught: [Double: Double] = [:]
        for minRequests in [30.0, 100.0] {
            traffic.minRequests = minRequests
            let endings = Self.sequential(traffic, canaries: canaries, seed: 11)
            caught[minRequests] = Self.share(endings, Self.isReverted)
            let times = endings.compactMap { if case let .reverted(at) = $0 { at } else { nil } }.sorted()
            print("10x regressions reverted with min_requests \(Int(minRequests)): \(caught[minRequests]! * 100) %, "
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
}
