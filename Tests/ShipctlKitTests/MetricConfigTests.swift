import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// Metric entries of every backend kind as `analysis.metrics` takes them: each
/// kind parses its own entry, fills its own placeholders and is read through
/// the environment's address for it; a wrong entry is reported at its line.
final class MetricConfigTests: XCTestCase {
    private func config(_ metrics: String, environments: String = "prod: { region: us-east-1, prometheus: \"http://127.0.0.1:9090\" }") -> String {
        """
        version: 1
        environments:
          \(environments)
        services:
          api:
            provider: lambda
            lambda: { function: micro-app-api, alias: live }
            analysis:
              metrics:
        \(metrics)
        """
    }

    private let bothKinds = """
                - { name: error-rate, prometheus: "sum(rate(errors{version=\\"{{canary}}\\"}[1m]))", max: 0.02 }
                - name: throttles
                  cloudwatch: { namespace: AWS/Lambda, metric: Throttles, stat: Maximum, period: 30, dimensions: { FunctionName: "{{service}}", Resource: "{{service}}:{{canary}}" } }
                  max: 0
        """

    func testEveryKindLoadsFillsItsPlaceholdersAndIsReadThroughItsEnvironment() async throws {
        let loaded = try ConfigLoader(environment: [:]).parse(yaml: config(bothKinds), path: "shipctl.yaml")
        let service = try XCTUnwrap(loaded.service(named: "api"))
        let prod = try XCTUnwrap(loaded.environments["prod"])
        XCTAssertEqual(prod.metricEndpoints, ["prometheus": "http://127.0.0.1:9090"])
        let placeholders = Placeholders.deployment(service: service, env: prod, canary: "7", stable: "6")
        let queries = service.analysis.metrics.map { $0.source.filled(placeholders) }
        XCTAssertEqual(queries.map(\.kind), ["prometheus", "cloudwatch"])
        XCTAssertEqual(queries.map(\.display), ["sum(rate(errors{version=\"7\"}[1m]))",
                                                "AWS/Lambda Throttles Maximum/30s {FunctionName=api,Resource=api:7}"])

        let prometheus = ScriptedPrometheus { _ in "0.25" }
        let runner = RecordingProcessRunner([.init(["get-metric-statistics"], stdout: """
            {"Datapoints": [{"Timestamp": "2026-12-03T10:00:00Z", "Maximum": 3}, {"Timestamp": "2026-12-03T10:00:30Z", "Maximum": 1}]}
            """)])
        let dependencies = Dependencies(runner: runner, http: prometheus, store: InMemoryStateStore(),
                                        reporter: Reporter(mode: .human, redactor: Redactor(secrets: []), out: { _ in }, err: { _ in }))
        let source = ProviderFactory.metricSource(config: loaded, env: prod, dependencies: dependencies)
        let first = await source.read(queries[0])
        let second = await source.read(queries[1])
        XCTAssertEqual(first, .value(0.25))
        XCTAssertEqual(second, .value(1), "the latest datapoint's statistic")
        XCTAssertEqual(prometheus.asked.map(\.query), ["sum(rate(errors{version=\"7\"}[1m]))"])
        let argv = try XCTUnwrap(runner.calls.first?.argv)
        XCTAssertEqual(Array(argv.prefix(5)), ["aws", "--region", "us-east-1", "cloudwatch", "get-metric-statistics"])
        XCTAssertEqual(argv.last, #"[{"Name":"FunctionName","Value":"api"},{"Name":"Resource","Value":"api:7"}]"#)

        var bare = prod
        bare.metricEndpoints = [:]
        let nowhere = ProviderFactory.metricSource(config: loaded, env: bare, dependencies: dependencies)
        let unread = await nowhere.read(queries[0])
        XCTAssertEqual(unread, .inconclusive("no Prometheus URL is configured for this environment (`prometheus: http://HOST:9090`)"))
    }

    func testAWrongEntryIsReportedAtItsLineWithWhatToWrite() {
        let every = MetricBackends.all.map { "`\($0.example)`" }.joined(separator: " or ")
        let cases: [(entry: String, message: String)] = [
            ("{ name: e, prometheus: \"  \", max: 1 }", "the query is empty; write the PromQL expression to evaluate"),
            ("{ name: e, max: 1 }", "give exactly one source: \(every)"),
            ("{ name: e, prometheus: up, cloudwatch: { namespace: N, metric: M }, max: 1 }", "give exactly one source: \(every)"),
            ("{ name: e, prometheus: up }", "give a threshold: `max`, `min` or `max_ratio_to_baseline`"),
            ("{ name: e, cloudwatch: { namespace: N, metric: M, stat: p99 }, max: 1 }", "expected one of: Sum, Average, Minimum, Maximum, SampleCount, got `p99`"),
            ("{ name: e, cloudwatch: { namespace: N, metric: M, period: 0 }, max: 1 }", "expected a whole number from 1 to 86400, got `0`"),
            ("{ name: e, cloudwatch: { namespace: N, metric: M, dimensions: { \"a b\": x } }, max: 1 }", "`a b` is not a valid name"),
            ("{ name: e, cloudwatch: { namespace: N }, max: 1 }", "required key `metric` is missing"),
            ("{ name: e, datadog: \"avg:x\", max: 1 }", "unknown key `datadog`"),
        ]
        for (entry, message) in cases {
            let found = SampleConfig.issues(config("        - \(entry)"))
            XCTAssertTrue(found.contains { $0.message.contains(message) && $0.line == 10 }, "\(entry): \(found.map { "\($0.line): \($0.key): \($0.message)" })")
        }
    }

    func testAnEnvironmentWithoutTheAddressItsMetricsNeedIsNamed() {
        let found = SampleConfig.issues(config(bothKinds, environments: """
        prod: { region: us-east-1, prometheus: "http://127.0.0.1:9090" }
          staging: { region: us-east-1 }
        """))
        XCTAssertEqual(found.map { "\($0.key): \($0.message)" },
                       ["environments.staging.prometheus: service api has Prometheus metrics, so environment staging needs `prometheus: http://HOST:9090`"])
        let cloudWatchOnly = SampleConfig.issues(config("""
                - { name: throttles, cloudwatch: { namespace: AWS/Lambda, metric: Throttles }, max: 0 }
        """, environments: "prod: { region: us-east-1 }"))
        XCTAssertEqual(cloudWatchOnly.map(\.message), [], "CloudWatch needs no address")
    }
}
