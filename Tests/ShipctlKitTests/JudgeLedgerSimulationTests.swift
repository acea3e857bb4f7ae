import Foundation
import ShipctlTestSupport
import XCTest

@testable import ShipctlKit

/// The judge as it runs against Prometheus: each evaluation reads the four counts with
/// `sum(increase(…[{{window}}]))` over the time since the canary got traffic, and `JudgeLedger` keeps the
/// highest count read so far per series (Prometheus extrapolates `increase`, so a later read can dip).
/// Simulated per second — Poisson requests split by the step's weight, failures drawn per request,
/// counters scraped at a random phase, `increase` answered as Prometheus does (`PrometheusIncrease`,
/// held to the real Prometheus by AnalyzeTests) — to show what extrapolated reads do to the error rates
/// the sequential test promises for exact counts.
final class JudgeLedgerSimulationTests: XCTestCase {
    struct Setting {
        var requestsPerSecond = 2.0
        var stableFailureRate = 0.05
        var canaryFailureRate = 0.05
        var scrapeInterval = 15.0
        var evaluationInterval = 5.0
        var steps: [(weight: Double, pause: Double)] = [(0.2, 60), (0.6, 60)]
        var minRequests = 30.0
        /// Counts as Prometheus answers them; nil: the exact counts.
        var release: PrometheusIncrease.Release? = .two
        /// The counters read raw, as an instant query answers (each series' latest scraped sample), and
        /// differenced by the ledger's tallies from their values at the canary's start: what shipctl does with
        /// counters named without `{{window}}`. `release` is then unused: an instant read of a raw counter is
        /// the same in both.
        var raw = false
        /// The canary's series exist from its start at 0 (the app exports every label set at 0); else each
        /// appears with its first count, which `increase` cannot see.
        var seriesStartAtZero = false
    }

    static let confidence = 0.98

    /// Runs one canary; true when the judge reverted it.
    static func reverted(_ setting: Setting, random: inout SeededRandom) -> Bool {
        // Canary ok, canary failed, stable ok, stable failed; stable has served for a while.
        var counters = [0.0, 0.0, 500.0, 25.0]
        var exported = [setting.seriesStartAtZero, setting.seriesStartAtZero, true, true]
        var scraped: [[PrometheusIncrease.Sample]] = [[], [], [], []]
        var sinceStart = [0.0, 0.0, 0.0, 0.0]
        var nextScrape = random.uniform() * setting.scrapeInterval - setting.scrapeInterval * 10
        let ledger = JudgeLedger()
        var time = 0.0
        var nextEvaluation = setting.evaluationInterval
        for step in setting.steps {
            var inStep = 0.0
            while true {
                while nextScrape <= time {
                    for index in 0..<4 where exported[index] {
                        scraped[index].append(.init(time: nextScrape, value: counters[index]))
                    }
                    nextScrape += setting.scrapeInterval
                }
                let canary = random.poisson(setting.requestsPerSecond * step.weight)
                let stable = random.poisson(setting.requestsPerSecond * (1 - step.weight))
                let canaryFailures = random.binomial(canary, setting.canaryFailureRate)
                let stableFailures = random.binomial(stable, setting.stableFailureRate)
                let served = [canary - canaryFailures, canaryFailures, stable - stableFailures, stableFailures]
                for (index, count) in served.enumerated() where count > 0 {
                    counters[index] += Double(count)
                    sinceStart[index] += Double(count)
                    exported[index] = true
                }
                time += 1
                inStep += 1
                guard time >= nextEvaluation else { continue }
                nextEvaluation += setting.evaluationInterval
                let read: [Double]
                if setting.raw {
                    guard let rises = tallied(ledger, scraped, at: time) else { continue }
                    // Canary ok and failed, stable ok and failed, from the four queries' rises.
                    read = [rises[1] - rises[0], rises[0], rises[3] - rises[2], rises[2]]
                } else {
                    read =
                        setting.release.map { release in
                            scraped.map {
                                PrometheusIncrease.increase($0, range: time, end: time, release: release) ?? 0
                            }
                        } ?? sinceStart
                }
                let test = ledger.observe(
                    "error-rate",
                    cumulative: .init(
                        canaryRequests: read[0] + read[1], canaryFailures: read[1],
                        stableRequests: read[2] + read[3], stableFailures: read[3]),
                    allowedRatio: 1.5, confidence: confidence)
                if test.rejects { return true }
                if inStep >= step.pause && test.total.canaryRequests >= setting.minRequests { break }
                if inStep >= step.pause + 300 { return false }
            }
        }
        return false
    }

    /// The judge's four queries (canary failures, canary total, stable failures, stable total) read raw at
    /// `time` — a series is the latest sample scraped by then, absent before its first — and added to the
    /// ledger's tallies, read first as they stood at the canary's start (time 0).
    static func tallied(_ ledger: JudgeLedger, _ scraped: [[PrometheusIncrease.Sample]], at time: Double) -> [Double]? {
        func snapshots(at time: Double) -> [[String: Double]] {
            let latest = scraped.map { samples in samples.last(where: { $0.time <= time })?.value }
            func series(_ indices: [Int]) -> [String: Double] {
                var read: [String: Double] = [:]
                for index in indices { read[index % 2 == 0 ? "ok" : "error"] = latest[index] }
                return read
            }
            return [series([1]), series([0, 1]), series([3]), series([2, 3])]
        }
        if !ledger.hasBaseline("error-rate") { ledger.keep(baseline: snapshots(at: 0), for: "error-rate") }
        return ledger.tally("error-rate", snapshots(at: time)) { _ in true }
    }

    static func revertedCount(_ setting: Setting, canaries: Int, seed: UInt64) -> Int {
        var random = SeededRandom(seed: seed)
        return (0..<canaries).filter { _ in reverted(setting, random: &random) }.count
    }

    /// A canary as good as stable, its counts read through `increase`: extrapolation and the ledger's
    /// high-water mark raise its false reverts above those with exact counts (which almost never revert it;
    /// here 3 to 9 in 1 000), but they stay under the 2 % that confidence 0.98 allows, whichever Prometheus,
    /// scrape interval or series start.
    func testAGoodCanaryReadThroughIncreaseIsRevertedNoMoreOftenThanTheConfidenceAllows() {
        let canaries = 1000
        let allowed = Int((1 - Self.confidence) * Double(canaries))
        var settings: [Setting] = []
        for (release, startsAtZero) in [(PrometheusIncrease.Release.two, false), (.three, true)] {
            var micro = Setting()
            micro.release = release
            micro.seriesStartAtZero = startsAtZero
            var slowScrape = micro
            slowScrape.requestsPerSecond = 5
            slowScrape.stableFailureRate = 0.02
            slowScrape.canaryFailureRate = 0.02
            slowScrape.scrapeInterval = 60
            slowScrape.seriesStartAtZero.toggle()
            settings += [micro, slowScrape]
        }
        for (index, setting) in settings.enumerated() {
            let reverted = Self.revertedCount(setting, canaries: canaries, seed: UInt64(11 + index))
            XCTAssertLessThanOrEqual(reverted, allowed, "\(setting): \(reverted) of \(canaries) good canaries reverted")
        }
    }

    /// A canary failing 3× as often as stable: read through `increase`, the judge catches it as often as
    /// with exact counts when the app exports its series at 0 from the start; when a series appears only
    /// with its first count, `increase` never sees that count and the judge catches fewer (measured: 13
    /// against 23 of 500) — why the documentation asks apps to export every label set at 0.
    func testABadCanaryIsCaughtAsOftenAsWithExactCountsWhenItsSeriesStartAtZero() {
        var setting = Setting()
        setting.canaryFailureRate = 0.15
        setting.evaluationInterval = 1
        setting.scrapeInterval = 5
        let canaries = 500
        var exact = setting
        exact.release = nil
        var zeroed = setting
        zeroed.seriesStartAtZero = true
        let caughtExactly = Self.revertedCount(exact, canaries: canaries, seed: 5)
        let caughtFromZero = Self.revertedCount(zeroed, canaries: canaries, seed: 5)
        let caughtLate = Self.revertedCount(setting, canaries: canaries, seed: 5)
        XCTAssertGreaterThanOrEqual(
            Double(caughtFromZero), 0.8 * Double(caughtExactly), "\(caughtFromZero) against \(caughtExactly) exactly")
        XCTAssertLessThan(caughtLate, caughtFromZero, "series that appear with their first count")
    }

    /// A canary exactly at the limit (failing 1.5× as often as stable, `max_increase: 50%`) watched for 30
    /// minutes at 2 requests/s, 5 s evaluations: read raw and differenced by the ledger's tallies, it is reverted
    /// no more often than confidence 0.98 allows, at 15 s and 60 s scrapes; read through `increase()` it is
    /// reverted more often than read raw (measured in the issue that asked for raw reads: 3.9–5.1 %).
    func testACanaryAtTheLimitReadRawIsRevertedNoMoreOftenThanTheConfidenceAllowsOverThirtyMinutes() {
        let canaries = Int(ProcessInfo.processInfo.environment["SHIPCTL_LEDGER_CANARIES"] ?? "") ?? 2000
        let allowed = Int((1 - Self.confidence) * Double(canaries))
        var figures: [String] = []
        for scrape in [15.0, 60.0] {
            var setting = Setting()
            setting.stableFailureRate = 0.02
            setting.canaryFailureRate = 0.03
            setting.steps = [(0.5, 1800)]
            setting.minRequests = 0
            setting.scrapeInterval = scrape
            setting.raw = true
            let raw = Self.revertedCount(setting, canaries: canaries, seed: 90 + UInt64(scrape))
            // Beside it, fewer canaries read through `increase()`, for the comparison only.
            setting.raw = false
            setting.release = .three
            let compared = canaries / 4
            let extrapolated = Self.revertedCount(setting, canaries: compared, seed: 90 + UInt64(scrape))
            figures.append(
                "\(Int(scrape)) s scrapes: raw \(raw) of \(canaries), increase() \(extrapolated) of \(compared)")
            XCTAssertLessThanOrEqual(raw, allowed, figures.joined(separator: "; "))
        }
        print("a canary at the limit over 30 minutes, reverted: " + figures.joined(separator: "; "))
    }
}
