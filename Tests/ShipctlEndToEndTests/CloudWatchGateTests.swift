import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// The CloudWatch metric source against moto through the real aws CLI: the
/// only gate is a metric this test writes with `put-metric-data`.
final class CloudWatchGateTests: WorldTestCase {
    override class var startsPrometheus: Bool { false }

    static func config(function: String, stat: String, inconclusiveLimit: Int = 6) -> String {
        SampleConfig.inWorld(
            services: """
                  api:
                    provider: lambda
                    lambda: { function: \(function), alias: live }
                    strategy:
                      steps:
                        - { weight: 10, pause: 20s }
                        - { weight: 100 }
                    analysis:
                      interval: 1s
                      failure_limit: 1
                      inconclusive_limit: \(inconclusiveLimit)
                      metrics:
                        - name: model-errors
                          cloudwatch: { namespace: MicroApp, metric: ModelErrors, stat: \(stat), period: 60, dimensions: { FunctionName: "{{function}}", ExecutedVersion: "{{canary}}" } }
                          max: 5
                """, prometheus: false)
    }

    func putModelErrors(_ value: Double, function: String, version: String) async throws {
        _ = try await world.aws([
            "cloudwatch", "put-metric-data", "--namespace", "MicroApp", "--metric-name", "ModelErrors",
            "--value", String(value), "--dimensions", "FunctionName=\(function),ExecutedVersion=\(version)",
        ])
    }

    func analysisRecords() throws -> [JSONValue] {
        try world.auditRecords().filter { $0["action"]?.stringValue == "analysis" }
    }

    func testABreachingCloudWatchValueRevertsTheCanary() async throws {
        try await world.createFunction("cw-bad", versions: 2)
        try await putModelErrors(40, function: "cw-bad", version: "2")
        try await putModelErrors(0, function: "cw-bad", version: "1")
        let config = try world.writeConfig(Self.config(function: "cw-bad", stat: "Maximum"))

        let run = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config)

        XCTAssertEqual(run.status, 3, run.output)
        XCTAssertTrue(run.output.contains("model-errors"), run.output)
        let alias = try await world.alias("cw-bad")
        XCTAssertEqual(alias.version, "1")
        XCTAssertTrue(alias.weights.isEmpty, "\(alias.weights)")
        let failed = try analysisRecords().filter { $0["outcome"]?.stringValue == "fail" }
        XCTAssertEqual(failed.count, 2, "one failure and its confirmation: \(failed)")
        XCTAssertEqual(failed.first?["args"]?["value"]?.doubleValue, 40)
        // The resolved query names the canary's own dimensions.
        let query = failed.first?["args"]?["query"]?.stringValue ?? ""
        XCTAssertTrue(
            query.contains("MicroApp ModelErrors Maximum/60s") && query.contains("ExecutedVersion=2")
                && query.contains("FunctionName=cw-bad"), query)
    }

    func testAMissingCloudWatchValueIsInconclusiveAndNeverAPass() async throws {
        try await world.createFunction("cw-missing", versions: 2)
        let config = try world.writeConfig(Self.config(function: "cw-missing", stat: "Average", inconclusiveLimit: 2))

        let run = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config)

        XCTAssertEqual(run.status, 3, run.output)
        let records = try analysisRecords()
        XCTAssertEqual(
            records.map { $0["outcome"]?.stringValue }, ["inconclusive", "inconclusive", "inconclusive"], "\(records)")
        let reason = records.first?["args"]?["reason"]?.stringValue ?? ""
        XCTAssertTrue(reason.contains("no datapoints for ModelErrors"), reason)
        XCTAssertTrue(run.output.contains("inconclusive_limit"), run.output)
        let alias = try await world.alias("cw-missing")
        XCTAssertEqual(alias.version, "1")
        XCTAssertTrue(alias.weights.isEmpty, "\(alias.weights)")
    }

    /// Lambda's own `Errors` and `Invocations` per `ExecutedVersion`, judged by counts against moto: the
    /// datapoints arrive while the canary runs, as Lambda writes them.
    static func judgedConfig(function: String) -> String {
        let dimensions = "dimensions: { FunctionName: \"{{function}}\", ExecutedVersion: \"{{version}}\" }"
        return SampleConfig.inWorld(
            services: """
                  api:
                    provider: lambda
                    lambda: { function: \(function), alias: live }
                    strategy: { steps: [ { weight: 50, pause: 6s }, { weight: 100 } ] }
                    analysis:
                      interval: 2s
                      judge: { min_requests: 100, max_extension: 1m }
                      metrics:
                        - name: lambda-errors
                          cloudwatch:
                            failures: { namespace: AWS/Lambda, metric: Errors, stat: Sum, \(dimensions) }
                            total: { namespace: AWS/Lambda, metric: Invocations, stat: Sum, \(dimensions) }
                          max_increase: 50%
                """, prometheus: false)
    }

    /// Writes, every second until cancelled, what Lambda would: 30 invocations a second on each version,
    /// `stableErrors` and `canaryErrors` of them failing.
    func writeLambdaMetrics(function: String, stableErrors: Int, canaryErrors: Int) -> Task<Void, Never> {
        let world: TestWorld = self.world
        return Task {
            while !Task.isCancelled {
                let datums = [("1", stableErrors), ("2", canaryErrors)].flatMap { version, errors -> [JSONValue] in
                    let dimensions: JSONValue = [
                        ["Name": "FunctionName", "Value": .string(function)],
                        ["Name": "ExecutedVersion", "Value": .string(version)],
                    ]
                    return [
                        ["MetricName": "Invocations", "Dimensions": dimensions, "Value": 30],
                        ["MetricName": "Errors", "Dimensions": dimensions, "Value": .int(Int64(errors))],
                    ]
                }
                _ = try? await world.aws([
                    "cloudwatch", "put-metric-data", "--namespace", "AWS/Lambda", "--metric-data",
                    JSONValue.array(datums).canonical,
                ])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    func testAJudgedCloudWatchRatioFailsABadCanaryAndPassesAGoodOne() async throws {
        try await world.createFunctions(["cw-judged-bad", "cw-judged-good"], versions: 2)
        for (function, canaryErrors, expected) in [("cw-judged-bad", 15, "1"), ("cw-judged-good", 1, "2")] {
            let writing = writeLambdaMetrics(function: function, stableErrors: 1, canaryErrors: canaryErrors)
            let config = try world.writeConfig(Self.judgedConfig(function: function))
            let run = await world.shipctl(
                ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config)
            writing.cancel()
            await writing.value
            XCTAssertEqual(run.status, expected == "1" ? 3 : 0, "\(function): \(run.output)")
            let alias = try await world.alias(function)
            XCTAssertEqual(alias.version, expected, run.output)
            let judged = try analysisRecords().filter {
                $0["args"]?["judge"] != nil && $0["args"]?["query"]?.stringValue?.contains(function) == true
            }
            XCTAssertFalse(judged.isEmpty, "\(function): no judged evaluation")
            XCTAssertGreaterThan(
                judged.last?["args"]?["judge"]?["stable_requests"]?.doubleValue ?? 0, 0,
                "\(judged.last.map { "\($0)" } ?? "")")
        }
    }
}
