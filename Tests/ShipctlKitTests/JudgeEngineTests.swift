import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// The judge inside the engine: canaries promoted on a manual clock against simulated micro-app
/// traffic (Poisson arrivals that follow the scripted alias's split), judged by counts against stable.
final class JudgeEngineTests: XCTestCase {
    static func config(
        minRequests: String = "30", maxExtension: String = "5m", onInsufficient: String = "revert",
        dryRun: Bool = false
    ) throws -> ShipctlConfig {
        try ConfigLoader(environment: [:]).parse(
            yaml: yaml(
                steps: "{ weight: 20, pause: 20s }, { weight: 60, pause: 20s }, { weight: 100 }", interval: "2s",
                judge:
                    "confidence: 0.98, min_requests: \(minRequests), max_extension: \(maxExtension), "
                    + "on_insufficient: \(onInsufficient)",
                maxIncrease: "50%", dryRun: dryRun),
            path: "/nonexistent/shipctl.yaml")
    }

    /// One Lambda service `api` judged on the simulation's counts, with these steps and `judge:` entries: raw
    /// counters, or (`raw: false`) the older counts over `{{window}}`.
    static func yaml(
        steps: String, interval: String, judge: String, maxIncrease: String, dryRun: Bool = false, raw: Bool = false
    ) -> String {
        let range = raw ? "" : "[{{window}}]"
        return """
            version: 1
            environments:
              prod: { region: us-east-1, prometheus: "http://prometheus.invalid:9090" }
            services:
              api:
                provider: lambda
                lambda: { function: api, alias: live }
                strategy: { steps: [ \(steps) ] }
                analysis:
                  interval: \(interval)
                  judge: { \(judge) }
                  metrics:
                    - name: error-rate
                      prometheus:
                        failures: 'fails{version="{{version}}"}\(range)'
                        total: 'reqs{version="{{version}}"}\(range)'
                      max_increase: \(maxIncrease)
                      dry_run: \(dryRun)
            """
    }

    struct Run {
        var error: ShipctlError?
        var store: InMemoryStateStore
        var provider: ScriptedTrafficProvider
        var output: [String]
        /// The traffic the run saw, readable as of any past second for a replay.
        var traffic: SimulatedTrafficCounts
        var clock: ManualClock
    }

    /// Promotes version 2 once, against traffic at `rate` requests/s with the given failure rates.
    static func promote(
        _ config: ShipctlConfig, rate: Double = 2, stable: Double = 0.02, canary: Double = 0.02, seed: UInt64,
        quietUntil: Int = 0, history: (seconds: Int, failureRate: Double)? = nil, forecast: Bool = false
    ) async throws -> Run {
        let clock = ManualClock()
        let store = InMemoryStateStore()
        let provider = ScriptedTrafficProvider(target: "scripted api:live")
        let traffic = SimulatedTrafficCounts(
            clock: clock, provider: provider, requestsPerSecond: rate, failureRates: ["1": stable, "2": canary],
            seed: seed, quietUntil: quietUntil, history: history)
        let output = Transcript()
        let reporter = Reporter(
            mode: .json, redactor: Redactor(secrets: []), summaryPath: nil, out: { output.append($0) },
            err: { output.append($0) })
        let dependencies = Dependencies(
            runner: RecordingProcessRunner([]), http: ScriptedPrometheus { _ in "0" }, store: store, reporter: reporter,
            clock: clock.engineClock, parts: ScriptedParts(providers: ["api": provider], metricSource: traffic))
        let service = try XCTUnwrap(config.service(named: "api"))
        let env = try XCTUnwrap(config.environments["prod"])
        do {
            // The forecast at the start simulates a few hundred canaries: left out where thousands are run.
            var options = PromoteOptions(version: "2")
            options.forecast = forecast
            _ = try await CanaryEngine(config: config, service: service, env: env, dependencies: dependencies).promote(
                options
            ).succeeded()
            return Run(
                error: nil, store: store, provider: provider, output: output.lines, traffic: traffic, clock: clock)
        } catch {
            return Run(
                error: error, store: store, provider: provider, output: output.lines, traffic: traffic, clock: clock)
        }
    }

    /// Through the whole engine: good canaries are rarely reverted; tenfold regressions mostly are,
    /// each revert naming the counts it rests on.
    func testGoodCanariesPassAndTenfoldRegressionsAreRevertedThroughTheEngine() async throws {
        let config = try Self.config(minRequests: "100")
        var goodReverted = 0
        var badReverted = 0
        let canaries = 150
        for seed in 0..<UInt64(canaries) {
            let good = try await Self.promote(config, seed: seed)
            if good.error != nil { goodReverted += 1 }
            let bad = try await Self.promote(config, canary: 0.2, seed: 10_000 + seed)
            if case .gatesFailed(let reason, let revertedTo)? = bad.error {
                badReverted += 1
                XCTAssertEqual(revertedTo, "1")
                XCTAssertTrue(
                    reason.contains("canary") && reason.contains("stable") && reason.contains("rate ratio ≥"), reason)
            }
        }
        print(
            "through the engine, of \(canaries): good canaries reverted \(goodReverted), 10x regressions reverted \(badReverted)"
        )
        XCTAssertLessThanOrEqual(Double(goodReverted) / Double(canaries), 0.02)
        XCTAssertGreaterThanOrEqual(Double(badReverted) / Double(canaries), 0.85)
    }

    /// Every judged evaluation is in the log with the counts, both rates and the bound, so the arithmetic can be redone.
    func testEachVerdictCarriesItsEvidence() async throws {
        let run = try await Self.promote(try Self.config(), canary: 0.5, seed: 3)
        guard case .gatesFailed? = run.error else {
            return XCTFail("a canary failing half its requests must be reverted: \(run.output)")
        }
        let analyses = run.store.all.filter { $0.action == AuditAction.analysis }
        let last = try XCTUnwrap(analyses.last)
        XCTAssertEqual(last.outcome, "fail")
        let judge = try XCTUnwrap(last.args["judge"])
        for field in [
            "canary_requests", "canary_failures", "stable_requests", "stable_failures", "canary_rate",
            "ratio_lower_bound",
            "allowed_ratio", "confidence", "evidence", "evidence_needed", "min_requests",
        ] {
            XCTAssertNotNil(judge[field], "\(field) missing from \(judge)")
        }
        XCTAssertEqual(judge["allowed_ratio"]?.doubleValue, 1.5)
        XCTAssertGreaterThan(judge["ratio_lower_bound"]?.doubleValue ?? 0, 1.5)
        XCTAssertGreaterThanOrEqual(
            judge["evidence"]?.doubleValue ?? 0, judge["evidence_needed"]?.doubleValue ?? .infinity)

        // The report and the job summary show the same evidence, read back from the records.
        let timeline = try XCTUnwrap(DeploymentTimeline(records: run.store.all))
        let evidence = try XCTUnwrap(JudgeEvidence(json: judge))
        XCTAssertTrue(HTMLReport.render(timeline).contains(evidence.summary), evidence.summary)
        XCTAssertTrue(StepSummary.markdown(timeline).contains("❌"))
        let said = try XCTUnwrap(run.output.last { $0.contains("\"event\":\"analysis\"") })
        XCTAssertTrue(said.contains("rate ratio ≥"), said)
    }

    /// No request for the first 30 s: the judge waits for evidence (never inconclusive), then the canary proceeds.
    func testACanaryWithoutRequestsAtFirstWaitsForEvidenceThenProceeds() async throws {
        let run = try await Self.promote(try Self.config(minRequests: "20"), seed: 5, quietUntil: 30)
        XCTAssertNil(run.error, "\(run.output.suffix(5))")
        XCTAssertEqual(run.provider.split.stable, "2")
        let verdicts = run.store.all.filter { $0.action == AuditAction.analysis }.compactMap(\.outcome)
        XCTAssertEqual(verdicts.first, "waiting for evidence")
        XCTAssertFalse(verdicts.contains("inconclusive"))
        XCTAssertTrue(
            run.output.contains { $0.contains("waiting up to 5m more") }, "the output says how long the step will wait")
        XCTAssertTrue(
            run.output.contains {
                $0.contains("of the 20 canary requests needed; at ") && $0.contains(" a second, about ")
            },
            "and how long the evidence takes at the traffic so far")
    }

    /// Too little traffic for the extension: revert, hold for `resume`, or continue — each recorded as insufficient evidence.
    func testTooLittleTrafficEndsAsOnInsufficientSays() async throws {
        let reverted = try await Self.promote(
            try Self.config(minRequests: "500", maxExtension: "30s"), rate: 0.5, seed: 9)
        guard case .gatesFailed(let reason, _)? = reverted.error else {
            return XCTFail("expected a revert: \(String(describing: reverted.error))")
        }
        XCTAssertTrue(reason.hasPrefix("insufficient evidence"), reason)
        XCTAssertEqual(reverted.provider.split.stable, "1")

        let held = try await Self.promote(
            try Self.config(minRequests: "500", maxExtension: "30s", onInsufficient: "hold"), rate: 0.5, seed: 9)
        XCTAssertEqual(held.error?.exitCode, 5, "\(String(describing: held.error))")
        XCTAssertEqual(held.provider.split.canaryPercent, 20, "the split is kept")
        let history = try await held.store.history(.apiProd)
        XCTAssertNotNil(history.inFlight, "resume can continue it")

        let continued = try await Self.promote(
            try Self.config(minRequests: "500", maxExtension: "30s", onInsufficient: "continue"), rate: 0.5, seed: 9)
        XCTAssertNil(continued.error)
        XCTAssertEqual(continued.provider.split.stable, "2")
        for run in [reverted, held, continued] {
            XCTAssertTrue(
                run.store.all.contains { $0.action == AuditAction.analysis && $0.outcome == "insufficient evidence" })
        }
    }

    /// A judged metric with `dry_run: true` runs beside the gates a team trusts: it records what it would
    /// have decided, and neither reverts nor holds a step.
    func testADryRunJudgeRecordsItsVerdictAndDecidesNothing() async throws {
        let run = try await Self.promote(try Self.config(dryRun: true), canary: 0.5, seed: 3)
        XCTAssertNil(run.error, "\(run.output.suffix(3))")
        XCTAssertEqual(run.provider.split.stable, "2")
        let analyses = run.store.all.filter { $0.action == AuditAction.analysis }
        XCTAssertTrue(
            analyses.contains { $0.outcome == "fail" && $0.args["dry_run"] == .bool(true) && $0.args["judge"] != nil })
    }
}
