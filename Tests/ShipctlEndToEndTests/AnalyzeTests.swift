import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// `shipctl analyze` against a real Prometheus holding history that the test
/// wrote with promtool: a window where the new version's error rate was high
/// trips the gate (exit 3, naming the metric and the time), a calm one passes.
final class AnalyzeTests: WorldTestCase {
    static func config() -> String {
        SampleConfig.inWorld(
            services: """
                  api:
                    provider: lambda
                    lambda: { function: hist-app, alias: live }
                    strategy:
                      steps:
                        - { weight: 10, pause: 5m }
                        - { weight: 100 }
                    analysis:
                      interval: 30s
                      failure_limit: 1
                      inconclusive_limit: 2
                      metrics:
                        - name: error-rate
                          prometheus: sum(rate(llm_requests_total{function="{{function}}",version="{{canary}}",status="error"}[1m])) / sum(rate(llm_requests_total{function="{{function}}",version="{{canary}}"}[1m]))
                          max: 0.02
                """)
    }

    /// Two hours of request counters for hist-app version 2, a sample every 15 s from
    /// `start`: 100 good requests per sample, plus 20 errors per sample in `bad`.
    static func history(start: Int, bad: Range<Int>) -> String {
        var ok: [String] = []
        var errors: [String] = []
        var good = 0
        var failed = 0
        for time in stride(from: start, to: start + 7200, by: 15) {
            good += 100
            if bad.contains(time) { failed += 20 }
            ok.append("llm_requests_total{function=\"hist-app\",version=\"2\",status=\"ok\"} \(good) \(time)")
            errors.append("llm_requests_total{function=\"hist-app\",version=\"2\",status=\"error\"} \(failed) \(time)")
        }
        return (["# TYPE llm_requests counter"] + ok + errors + ["# EOF"]).joined(separator: "\n") + "\n"
    }

    func testABadWindowTripsTheGateAndACalmOnePasses() async throws {
        let now = Int(Date().timeIntervalSince1970)
        let start = now - 3 * 3600 - now % 15
        let badFrom = start + 30 * 60
        let badTo = start + 60 * 60
        try await world.backfillPrometheus(Self.history(start: start, bad: badFrom..<badTo))
        let config = try world.writeConfig(Self.config())
        let time = { (offset: Int) in Timestamp.format(Date(timeIntervalSince1970: TimeInterval(start + offset))) }

        let bad = await world.shipctl(
            [
                "analyze", "--service", "api", "--env", "prod", "--version", "2", "--baseline", "1",
                "--from", time(25 * 60), "--to", time(65 * 60),
            ], config: config)
        XCTAssertEqual(bad.status, 3, bad.output)
        XCTAssertTrue(bad.stdout.contains("error-rate (max 0.02): "), bad.stdout)
        XCTAssertTrue(bad.stdout.contains("the gate would have tripped at "), bad.stdout)
        XCTAssertTrue(bad.stderr.contains("error-rate tripped the gate at "), bad.stderr)
        XCTAssertTrue(
            bad.stdout.contains(
                "query: sum(rate(llm_requests_total{function=\"hist-app\",version=\"2\",status=\"error\"}[1m]))"),
            bad.stdout)

        let json = await world.shipctl(
            [
                "analyze", "--service", "api", "--env", "prod", "--version", "2", "--baseline", "1",
                "--from", time(25 * 60), "--to", time(65 * 60), "--json",
            ], config: config)
        XCTAssertEqual(json.status, 3, json.output)
        let outcome = try XCTUnwrap(
            json.stdout.split(separator: "\n").compactMap { JSONValue.parse(String($0)) }.first { $0["tripped"] != nil }
        )
        let tripped = try XCTUnwrap(outcome["tripped"]?["at"]?.stringValue.flatMap(Timestamp.parse), json.stdout)
        // Errors start at badFrom; a 1-minute rate sees them at once, and failure_limit 1 stops at the second failing evaluation.
        XCTAssertGreaterThanOrEqual(tripped.timeIntervalSince1970, TimeInterval(badFrom), json.stdout)
        XCTAssertLessThanOrEqual(tripped.timeIntervalSince1970, TimeInterval(badFrom + 120), json.stdout)
        XCTAssertEqual(outcome["tripped"]?["metric"]?.stringValue, "error-rate")
        XCTAssertEqual(
            outcome["evaluations"]?.doubleValue, 80, "one every 30 s over 40 minutes, the first 30 s after --from")
        guard case .array(let metrics)? = outcome["metrics"], let metric = metrics.first else {
            return XCTFail(json.stdout)
        }
        XCTAssertGreaterThan(metric["fail"]?.doubleValue ?? 0, 50, json.stdout)
        XCTAssertGreaterThan(metric["worst"]?.doubleValue ?? 0, 0.1, json.stdout)

        let calm = await world.shipctl(
            [
                "analyze", "--service", "api", "--env", "prod", "--version", "2", "--baseline", "1",
                "--from", time(80 * 60), "--to", time(110 * 60),
            ], config: config)
        XCTAssertEqual(calm.status, 0, calm.output)
        XCTAssertTrue(calm.stdout.contains("error-rate (max 0.02): 60 pass, 0 fail, 0 inconclusive"), calm.stdout)
        // The replay follows the canary's schedule: the 5-minute step, then the rest of the window.
        XCTAssertTrue(calm.stdout.contains("the steps' pauses ended at \(time(85 * 60))"), calm.stdout)
        XCTAssertTrue(calm.stdout.hasSuffix("the gate would have passed this window\n"), calm.stdout)

        // No data for a version that never ran: inconclusive past the limit, never a pass.
        let absent = await world.shipctl(
            [
                "analyze", "--service", "api", "--env", "prod", "--version", "9", "--baseline", "1",
                "--from", time(80 * 60), "--to", time(90 * 60),
            ], config: config)
        XCTAssertEqual(absent.status, 3, absent.output)
        XCTAssertTrue(absent.stdout.contains("inconclusive_limit 2"), absent.stdout)

        // A backend that does not answer has judged nothing: exit 1, never "the gate would have tripped".
        let prometheus = world.environment["PROMETHEUS_URL"]
        world.environment["PROMETHEUS_URL"] = "http://127.0.0.1:9"
        let unreachable = await world.shipctl(
            [
                "analyze", "--service", "api", "--env", "prod", "--version", "2", "--baseline", "1",
                "--from", time(80 * 60), "--to", time(90 * 60),
            ], config: config)
        world.environment["PROMETHEUS_URL"] = prometheus
        XCTAssertEqual(unreachable.status, 1, unreachable.output)
        XCTAssertTrue(
            unreachable.stderr.contains("nothing could be judged: every evaluation in the window was inconclusive"),
            unreachable.stderr)

        let typo = await world.shipctl(
            ["analyze", "--service", "api", "--env", "prod", "--version", "2", "--from", "yesterday"], config: config)
        XCTAssertEqual(typo.status, 2, typo.output)
        XCTAssertTrue(typo.stderr.contains("--from `yesterday` is not a time"), typo.stderr)
        let huge = await world.shipctl(
            ["analyze", "--service", "api", "--env", "prod", "--version", "2", "--from=-3650d"], config: config)
        XCTAssertEqual(huge.status, 2, huge.output)
        XCTAssertTrue(huge.stderr.contains("narrow it with --from and --to"), huge.stderr)
    }

    func testACloudWatchGateIsReplayedFromItsDatapoints() async throws {
        let now = Int(Date().timeIntervalSince1970) / 60 * 60
        let start = now - 60 * 60
        // One datapoint a minute for version 2: 40 model errors from minute 15 to 25, else 0.
        let data = (0..<50).map { minute -> JSONValue in
            .object([
                "MetricName": "ModelErrors",
                "Timestamp": .string(Timestamp.format(Date(timeIntervalSince1970: TimeInterval(start + minute * 60)))),
                "Value": .number((15..<25).contains(minute) ? 40 : 0),
                "Dimensions": .array([
                    .object(["Name": "FunctionName", "Value": "cw-hist"]),
                    .object(["Name": "ExecutedVersion", "Value": "2"]),
                ]),
            ])
        }
        _ = try await world.aws([
            "cloudwatch", "put-metric-data", "--namespace", "MicroApp", "--metric-data",
            JSONValue.array(data).canonical,
        ])
        let config = try world.writeConfig(
            SampleConfig.inWorld(
                services: """
                      api:
                        provider: lambda
                        lambda: { function: cw-hist, alias: live }
                        analysis:
                          interval: 60s
                          failure_limit: 1
                          metrics:
                            - name: model-errors
                              cloudwatch: { namespace: MicroApp, metric: ModelErrors, stat: Maximum, period: 60, dimensions: { FunctionName: "{{function}}", ExecutedVersion: "{{canary}}" } }
                              max: 5
                    """, prometheus: false))
        let time = { (minute: Int) in Timestamp.format(Date(timeIntervalSince1970: TimeInterval(start + minute * 60))) }

        let bad = await world.shipctl(
            [
                "analyze", "--service", "api", "--env", "prod", "--version", "2", "--from", time(5), "--to", time(35),
                "--json",
            ], config: config)
        XCTAssertEqual(bad.status, 3, bad.output)
        let outcome = try XCTUnwrap(
            bad.stdout.split(separator: "\n").compactMap { JSONValue.parse(String($0)) }.first { $0["tripped"] != nil })
        let tripped = try XCTUnwrap(outcome["tripped"]?["at"]?.stringValue.flatMap(Timestamp.parse), bad.stdout)
        XCTAssertEqual(
            tripped.timeIntervalSince1970, TimeInterval(start + 16 * 60), "the second failing minute: \(bad.stdout)")
        XCTAssertEqual(outcome["tripped"]?["metric"]?.stringValue, "model-errors")

        let calm = await world.shipctl(
            ["analyze", "--service", "api", "--env", "prod", "--version", "2", "--from", time(30), "--to", time(45)],
            config: config)
        XCTAssertEqual(calm.status, 0, calm.output)
        XCTAssertTrue(calm.stdout.contains("model-errors (max 5): 15 pass, 0 fail, 0 inconclusive"), calm.stdout)
    }

    /// The judge's error rates are simulated with counts read through `PrometheusIncrease`; this holds that
    /// model to the real Prometheus (a 2.x, as this machine has): the same samples and windows give the same
    /// answers — a series whose
    /// first sample is above zero, uneven scrapes, a counter reset, windows that reach an edge and ones that
    /// do not, and one with a single sample (no answer).
    func testTheIncreaseModelOfTheJudgeSimulationsAnswersAsPrometheusDoes() async throws {
        let now = Int(Date().timeIntervalSince1970)
        let start = now - 3 * 3600 - now % 60
        let points: [(offset: Int, value: Double)] = [
            (0, 1), (15, 5), (29, 9), (46, 10), (60, 2), (75, 6), (91, 6), (105, 11), (121, 14),
        ]
        let samples = points.map { PrometheusIncrease.Sample(time: Double(start + $0.offset), value: $0.value) }
        try await world.backfillPrometheus(
            (["# TYPE increase_model_check counter"]
                + points.map { "increase_model_check_total \(Int($0.value)) \(start + $0.offset)" } + ["# EOF"])
                .joined(separator: "\n") + "\n")
        for (range, end) in [(30, 31), (60, 62), (45, 100), (121, 121), (20, 50), (90, 130), (300, 140), (10, 20)] {
            let at = Double(start + end)
            let answer = await SystemProcessRunner().run(
                ProcessRequest(
                    "curl",
                    [
                        "-sfG", "\(world.prometheusURL)/api/v1/query",
                        "--data-urlencode", "query=increase(increase_model_check_total[\(range)s])",
                        "--data-urlencode", "time=\(Int(at))",
                    ], timeout: .seconds(10), retry: .never, mutating: false))
            XCTAssertEqual(answer.status, 0, answer.stderr)
            let result = try XCTUnwrap(JSONValue.parse(answer.stdout)?["data"]?["result"]?.arrayValue, answer.stdout)
            let prometheus = result.first?["value"]?.arrayValue?.last?.stringValue.flatMap(Double.init)
            let model = PrometheusIncrease.increase(samples, range: Double(range), end: at, release: .two)
            XCTAssertEqual(
                prometheus == nil, model == nil,
                "[\(range)s] at +\(end): \(answer.stdout) vs \(String(describing: model))")
            if let prometheus, let model {
                XCTAssertEqual(model, prometheus, accuracy: 1e-9 * max(1, prometheus), "[\(range)s] at +\(end)")
            }
        }
    }
}
