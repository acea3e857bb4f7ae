import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// `analyze` runs the watch a live canary runs, on a clock that starts at `--from`: the same
/// evaluations at the same moments, confirmations and the judge's window included.
final class AnalysisReplayTests: XCTestCase {
    static func dependencies(_ source: any MetricSource) -> Dependencies {
        Dependencies(
            runner: RecordingProcessRunner([]), http: ScriptedPrometheus { _ in "0" }, store: InMemoryStateStore(),
            reporter: Reporter(
                mode: .json, redactor: Redactor(secrets: []), summaryPath: nil, out: { _ in }, err: { _ in }),
            parts: ScriptedParts(metricSource: source))
    }

    static func replay(_ config: ShipctlConfig, source: any MetricSource, baseline: String? = "1", from: Date, to: Date)
        async throws
        -> AnalysisReplay.Outcome
    {
        let service = try XCTUnwrap(config.service(named: "api"))
        let env = try XCTUnwrap(config.environments["prod"])
        return try await AnalysisReplay(config: config, service: service, env: env, dependencies: dependencies(source))
            .run(version: "2", baseline: baseline, from: from, to: to)
    }

    /// A canary judged live, then its traffic replayed by `analyze`: a reverted canary trips at the
    /// same moment with the same evidence, a promoted one passes.
    func testAJudgedCanaryReplaysAsItRan() async throws {
        let config = try JudgeEngineTests.config()
        var reverted = 0
        var promoted = 0
        for seed in UInt64(0)..<6 {
            let bad = seed % 2 == 0
            let live = try await JudgeEngineTests.promote(config, canary: bad ? 0.2 : 0.02, seed: 500 + seed)
            let outcome = try await Self.replay(
                config, source: live.traffic, from: live.clock.date(at: .zero),
                to: live.clock.date(at: live.clock.offset))
            guard case .gatesFailed(let reason, _)? = live.error else {
                XCTAssertNil(live.error, "seed \(seed): \(live.output.suffix(3))")
                XCTAssertNil(outcome.tripped, "seed \(seed): promoted live, tripped in replay: \(outcome.lines)")
                promoted += 1
                continue
            }
            let tripped = try XCTUnwrap(
                outcome.tripped, "seed \(seed): reverted live (\(reason)), passed in replay: \(outcome.lines)")
            XCTAssertEqual(tripped.metric, "error-rate")
            XCTAssertEqual(tripped.reason, reason, "seed \(seed)")
            let revert = try XCTUnwrap(
                live.store.all.last { $0.action == AuditAction.analysis && $0.outcome == "fail" })
            XCTAssertEqual(outcome.metrics.first?.failures, 1, "seed \(seed): \(revert.args)")
            reverted += 1
        }
        XCTAssertGreaterThan(reverted, 0, "no seed was reverted live: the comparison proved nothing")
        XCTAssertGreaterThan(promoted, 0, "no seed was promoted live: the comparison proved nothing")
    }

    /// A failure confirmed one second later, as the live canary would confirm it, trips the gate
    /// that a replay evaluating only every interval would have passed (one failure, limit 1).
    func testAConfirmationIsReplayedAsTheCanaryConfirms() async throws {
        let yaml = """
            version: 1
            environments:
              prod: { region: us-east-1, prometheus: "http://prometheus.invalid:9090" }
            services:
              api:
                provider: lambda
                lambda: { function: f, alias: live }
                strategy: { steps: [ { weight: 10, pause: 20s }, { weight: 100 } ] }
                analysis:
                  interval: 4s
                  failure_limit: 1
                  confirm: 1s
                  metrics:
                    - { name: error-rate, prometheus: 'errors{version="{{canary}}"}', max: 0.02 }
            """
        let config = try ConfigLoader(environment: [:]).parse(yaml: yaml, path: "/nonexistent/shipctl.yaml")
        let clock = ManualClock()
        let samples = (0...40).map { second in
            ScriptedMetricSource.Sample(at: .seconds(second), value: (8...9).contains(second) ? 0.05 : 0)
        }
        let outcome = try await Self.replay(
            config, source: ScriptedMetricSource(clock: clock, samples: samples),
            from: clock.date(at: .zero), to: clock.date(at: .seconds(30)))
        let tripped = try XCTUnwrap(outcome.tripped, outcome.lines.joined(separator: "\n"))
        XCTAssertEqual(tripped.at, clock.date(at: .seconds(9)), "failed at 8 s, confirmed at 9 s")
        XCTAssertTrue(tripped.reason.contains("2 time(s), over failure_limit 1"), tripped.reason)
        XCTAssertEqual(outcome.stepsEnded, clock.date(at: .seconds(20)))
        // 4, 8, 9 (the confirmation), 13, 17, 20 (the step's end), then 24, 28 and 30 after the steps.
        XCTAssertEqual(outcome.evaluations, 9, outcome.lines.joined(separator: "\n"))
        XCTAssertEqual(outcome.metrics.first?.failures, 2)
        XCTAssertTrue(
            outcome.lines.contains { $0.hasPrefix("the steps' pauses ended at ") },
            outcome.lines.joined(separator: "\n"))
    }

    /// The judge compares with stable: without a stable version there is nothing to replay it against.
    func testAJudgedMetricNeedsTheStableVersion() async throws {
        let clock = ManualClock()
        do {
            _ = try await Self.replay(
                try JudgeEngineTests.config(), source: ScriptedMetricSource(clock: clock, samples: []), baseline: nil,
                from: clock.date(at: .zero), to: clock.date(at: .seconds(60)))
            XCTFail("a judged metric replayed without --baseline")
        } catch let error as ShipctlError {
            XCTAssertEqual(error.exitCode, 2)
            XCTAssertTrue(
                error.description.contains(
                    "judges error-rate against stable; name the stable version with --baseline V"), error.description)
        }
    }
}
