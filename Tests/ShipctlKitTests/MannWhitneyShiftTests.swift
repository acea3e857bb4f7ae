import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// The Mann–Whitney comparison of a continuous metric's samples, alone and inside the engine.
final class MannWhitneyShiftTests: XCTestCase {
    /// A small case worked by hand: U at its maximum, the normal approximation with continuity.
    func testASmallCaseMatchesTheFormula() throws {
        let shift = try XCTUnwrap(MannWhitneyShift.compare(canary: [3, 4, 5], stable: [1, 2], confidence: 0.95))
        // U = 6 = nm; σ² = 6/12 · 6 = 3; z = (3 − ½)/√3 = 1.443; p = 2(1 − Φ(z)) = 0.149.
        XCTAssertEqual(shift.pValue, 0.149, accuracy: 0.001)
        // The six differences 1, 2, 2, 3, 3, 4: the Hodges–Lehmann estimate is their median.
        XCTAssertEqual(shift.estimate, 2.5)
        XCTAssertEqual(shift.canaryMedian, 4)
        XCTAssertEqual(shift.stableMedian, 1.5)
        XCTAssertLessThanOrEqual(shift.lowerBound, shift.estimate)
        XCTAssertGreaterThanOrEqual(shift.upperBound, shift.estimate)
    }

    func testIdenticalAndDegenerateSamplesDoNotTrap() throws {
        let same = try XCTUnwrap(MannWhitneyShift.compare(canary: [1, 1, 1], stable: [1, 1], confidence: 0.98))
        XCTAssertEqual(same.pValue, 1)
        XCTAssertEqual(same.lowerBound, 0)
        XCTAssertFalse(same.exceeds(0, direction: .either))
        XCTAssertNil(MannWhitneyShift.compare(canary: [.nan, .infinity], stable: [1], confidence: 0.98))
        XCTAssertNil(MannWhitneyShift.compare(canary: [], stable: [], confidence: 0.98))
    }

    /// Latency per version: stable around 0.3 s, the canary `factor` times that, with seeded noise.
    final class Latency: MetricSource, @unchecked Sendable {
        private let lock = NSLock()
        private var random = SeededRandom(seed: 21)
        let factor: Double

        init(factor: Double) {
            self.factor = factor
        }

        func read(_ query: MetricQuery) async -> MetricReading {
            let noise = lock.withLock { 0.8 + 0.4 * random.uniform() }
            return .value(0.3 * noise * (query.display.contains("version=\"2\"") ? factor : 1))
        }
    }

    static func promote(factor: Double, pause: String) async throws -> (ShipctlError?, InMemoryStateStore) {
        let yaml = """
            version: 1
            environments:
              prod: { region: us-east-1, prometheus: "http://prometheus.invalid:9090" }
            services:
              api:
                provider: lambda
                lambda: { function: api, alias: live }
                strategy: { steps: [ { weight: 20, pause: \(pause) }, { weight: 100 } ] }
                analysis:
                  interval: 2s
                  judge: { max_extension: 1m }
                  metrics:
                    - name: p95-latency
                      prometheus: latency{version="{{version}}"}
                      judge: mann-whitney
                      max_increase: 25%
            """
        let config = try ConfigLoader(environment: [:]).parse(yaml: yaml, path: "/nonexistent/shipctl.yaml")
        let clock = ManualClock()
        let store = InMemoryStateStore()
        let reporter = Reporter(
            mode: .json, redactor: Redactor(secrets: []), summaryPath: nil, out: { _ in }, err: { _ in })
        let dependencies = Dependencies(
            runner: RecordingProcessRunner([]), http: ScriptedPrometheus { _ in "0" }, store: store, reporter: reporter,
            clock: clock.engineClock,
            parts: ScriptedParts(
                providers: ["api": ScriptedTrafficProvider(target: "scripted api:live")],
                metricSource: Latency(factor: factor)))
        let service = try XCTUnwrap(config.service(named: "api"))
        let env = try XCTUnwrap(config.environments["prod"])
        do {
            _ = try await CanaryEngine(config: config, service: service, env: env, dependencies: dependencies).promote(
                PromoteOptions(version: "2")
            ).succeeded()
            return (nil, store)
        } catch {
            return (error, store)
        }
    }

    func testThreefoldLatencyIsRevertedAndEqualLatencyPasses() async throws {
        let (slow, slowStore) = try await Self.promote(factor: 3, pause: "30s")
        guard case .gatesFailed(let reason, _)? = slow else {
            return XCTFail("3x latency must be reverted, got \(String(describing: slow))")
        }
        XCTAssertTrue(reason.contains("p95-latency"), reason)
        let failed = try XCTUnwrap(slowStore.all.last { $0.action == AuditAction.analysis && $0.outcome == "fail" })
        XCTAssertEqual(failed.args["judge"]?["judge"]?.stringValue, "mann-whitney")
        XCTAssertGreaterThan(
            failed.args["judge"]?["shift_lower_bound"]?.doubleValue ?? 0, 0.075, "beyond 25% of stable's 0.3 s")

        let (same, _) = try await Self.promote(factor: 1, pause: "30s")
        XCTAssertNil(same)
    }

    /// Fewer samples than the comparison needs: it waits for evidence past the pause, then decides.
    func testTooFewSamplesWaitForEvidence() async throws {
        let (error, store) = try await Self.promote(factor: 1, pause: "6s")
        XCTAssertNil(error)
        let verdicts = store.all.filter { $0.action == AuditAction.analysis }.compactMap(\.outcome)
        XCTAssertEqual(Array(verdicts.prefix(9)), Array(repeating: "waiting for evidence", count: 9))
        XCTAssertEqual(verdicts.last, "pass")
        XCTAssertFalse(verdicts.contains("inconclusive"))
    }

    /// The comparison is rerun at every evaluation. Rerun at full confidence, it finds a shift between equal
    /// versions more and more often as the looks add up; with each look spending its share of the error
    /// (`1 − confidence` · 6/(π²k²) at the k-th), good versions stay within 1 − confidence over all looks.
    func testRepeatedLooksAtEqualValuesStayWithinTheConfidence() {
        var random = SeededRandom(seed: 17)
        let canaries = 120
        var spent = 0
        var rerun = 0
        for _ in 0..<canaries {
            var canary: [Double] = []
            var stable: [Double] = []
            var (spentFound, rerunFound) = (false, false)
            for _ in 1...40 {
                canary.append(0.3 + random.uniform() * 0.2)
                stable.append(0.3 + random.uniform() * 0.2)
                guard canary.count >= MannWhitneyShift.minimumSamples else { continue }
                let k = Double(canary.count - MannWhitneyShift.minimumSamples + 1)
                let perLook = 1 - 0.02 * 6 / (Double.pi * Double.pi * k * k)
                if !spentFound,
                    let shift = MannWhitneyShift.compare(canary: canary, stable: stable, confidence: perLook),
                    shift.exceeds(0, direction: .increase)
                {
                    spentFound = true
                }
                if !rerunFound, let shift = MannWhitneyShift.compare(canary: canary, stable: stable, confidence: 0.98),
                    shift.exceeds(0, direction: .increase)
                {
                    rerunFound = true
                }
            }
            spent += spentFound ? 1 : 0
            rerun += rerunFound ? 1 : 0
        }
        print(
            "equal values, 40 looks: a shift found in \(spent) of \(canaries) with the error spent, "
                + "\(rerun) rerun at 0.98"
        )
        XCTAssertLessThanOrEqual(Double(spent) / Double(canaries), 0.02)
        XCTAssertGreaterThan(rerun, spent)
    }
}
