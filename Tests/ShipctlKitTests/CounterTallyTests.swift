import Foundation
import ShipctlTestSupport
import XCTest

@testable import ShipctlKit

/// Raw counters differenced by shipctl: each series on its own, a reset counted as Prometheus counts one,
/// a series born during the canary counted whole, nothing extrapolated.
final class CounterTallyTests: XCTestCase {
    func testEachSeriesIsDifferencedOnItsOwnAndAResetCountsItsNewValue() {
        var tally = CounterTally(baseline: ["pod=a": 100, "pod=b": 40])
        tally.add(["pod=a": 130, "pod=b": 45])
        XCTAssertEqual(tally.increase, 35)
        // Pod b restarted (its counter began again at 0 and reached 6); a new pod c served 3.
        tally.add(["pod=a": 131, "pod=b": 6, "pod=c": 3])
        XCTAssertEqual(tally.increase, 35 + 1 + 6 + 3)
        // A series missing from one reading keeps its last value and counts on from it when it returns.
        tally.add(["pod=b": 8, "pod=c": 3])
        tally.add(["pod=a": 140, "pod=b": 8, "pod=c": 3])
        XCTAssertEqual(tally.increase, 45 + 2 + 9)
        // What is not a count (NaN, negative, infinite) adds nothing and is not kept.
        tally.add(["pod=a": .nan, "pod=d": -4, "pod=e": .infinity])
        XCTAssertEqual(tally.increase, 56)
        XCTAssertEqual(tally.last.keys.sorted(), ["pod=a", "pod=b", "pod=c"])
    }

    func testAHistoryRangeCountsOnlyBetweenTwoSamplesOfTheSameSeries() {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let times = (0...3).map { start.addingTimeInterval(Double($0) * 60) }
        // The backend's times may differ from ours in the last bits of a float.
        let drift = 0.000_2
        let range: [String: [Date: Double]] = [
            "pod=a": [times[0]: 10, times[1].addingTimeInterval(drift): 70, times[2]: 5, times[3]: 65],
            // First seen inside the range: its first value is unknown history, left out.
            "pod=b": [times[2]: 1_000_000, times[3]: 1_000_030],
        ]
        XCTAssertEqual(CounterTally.pieces(of: range, at: times), [60, 5, 60 + 30])
        XCTAssertEqual(CounterTally.pieces(of: range, at: [times[0]]), [])
    }

    /// A reading no service could reach (a counter that wrapped) is refused and leaves the tallies as they were,
    /// so the next reading is differenced from the last good one.
    func testARefusedReadingLeavesTheTalliesAsTheyWere() {
        let ledger = JudgeLedger()
        XCTAssertNil(ledger.tally("errors", [[:]]) { _ in true }, "no baseline yet")
        ledger.keep(baseline: [["s": 10], ["s": 100]], for: "errors")
        ledger.keep(baseline: [["s": 99], ["s": 999]], for: "errors")
        XCTAssertEqual(ledger.tally("errors", [["s": 12], ["s": 150]]) { _ in true }, [2, 50])
        XCTAssertNil(ledger.tally("errors", [["s": 12], ["s": 1.8e19]]) { $0[1] < 1e12 })
        XCTAssertEqual(ledger.tally("errors", [["s": 13], ["s": 160]]) { _ in true }, [3, 60])
    }

    /// The raw form loads in silence; the older `increase(…[{{window}}])` form loads with one word on why the raw
    /// form is exact; a rate named without `{{window}}`, or the two queries read differently, are refused.
    func testTheRawFormLoadsAndTheOlderFormSaysOnceWhyRawIsExact() throws {
        func load(_ failures: String, _ total: String, metrics: Int = 1) throws(ShipctlError) -> ShipctlConfig {
            let yaml = JudgeEngineTests.yaml(
                steps: "{ weight: 50, evidence: 4x }, { weight: 100 }", interval: "5s", judge: "confidence: 0.98",
                maxIncrease: "0%", raw: true
            )
            .replacingOccurrences(of: #"'fails{version="{{version}}"}'"#, with: "'\(failures)'")
            .replacingOccurrences(of: #"'reqs{version="{{version}}"}'"#, with: "'\(total)'")
            // More metrics of the same form: the warning is still said once.
            let more = (1..<max(metrics, 1)).map { index in
                "\n        - { name: errors-\(index), prometheus: { failures: '\(failures)', total: '\(total)' } }"
            }
            return try ConfigLoader(environment: [:]).parse(yaml: yaml + more.joined(), path: "shipctl.yaml")
        }
        let raw = try load(
            #"llm_requests_total{version="{{version}}",status="error"}"#, #"llm_requests_total{version="{{version}}"}"#)
        XCTAssertEqual(raw.warnings, [])
        let metric = try XCTUnwrap(raw.service(named: "api")?.analysis.metrics.first)
        XCTAssertTrue(metric.source.backend.readsRawCounters)
        XCTAssertEqual(metric.maxIncrease, 0, "counts without max_increase allow no increase")

        let older = try load(
            #"sum(increase(llm_requests_total{version="{{version}}",status="error"}[{{window}}]))"#,
            #"sum(increase(llm_requests_total{version="{{version}}"}[{{window}}]))"#, metrics: 2)
        XCTAssertEqual(older.warnings.count, 1, "said once for the whole file: \(older.warnings)")
        let warning = try XCTUnwrap(older.warnings.first).description
        XCTAssertTrue(warning.contains("extrapolated") && warning.contains("differences them exactly"), warning)
        XCTAssertTrue(warning.contains("services.api.analysis.metrics[0].prometheus"), warning)

        XCTAssertThrowsError(
            try load(#"sum(rate(llm_requests_total{status="error"}[1m]))"#, #"sum(rate(llm_requests_total[1m]))"#)
        ) {
            XCTAssertTrue("\($0)".contains("`rate(…)` over a fixed range is not a counter"), "\($0)")
            XCTAssertTrue("\($0)".contains("prometheus.failures"), "\($0)")
        }
        XCTAssertThrowsError(try load(#"llm_requests_total{status="error"}"#, #"reqs[{{window}}]"#)) {
            XCTAssertTrue("\($0)".contains("must be read alike"), "\($0)")
        }
    }
}
