import Foundation
import ShipctlTestSupport
import XCTest

@testable import ShipctlKit

/// Metric entries of every backend kind as `analysis.metrics` takes them: each
/// kind parses its own entry, fills its own placeholders and is read through
/// the environment's address for it; a wrong entry is reported at its line.
final class MetricConfigTests: XCTestCase {
    private func config(
        _ metrics: String, environments: String = "prod: { region: us-east-1, prometheus: \"http://127.0.0.1:9090\" }"
    ) -> String {
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
        XCTAssertEqual(
            queries.map(\.display),
            [
                "sum(rate(errors{version=\"7\"}[1m]))",
                "AWS/Lambda Throttles Maximum/30s {FunctionName=api,Resource=api:7}",
            ])

        let prometheus = ScriptedPrometheus { _ in "0.25" }
        let runner = RecordingProcessRunner([
            .init(
                ["get-metric-statistics"],
                stdout: """
                    {"Datapoints": [{"Timestamp": "2026-12-03T10:00:00Z", "Maximum": 3}, {"Timestamp": "2026-12-03T10:00:30Z", "Maximum": 1}]}
                    """)
        ])
        let dependencies = Dependencies(
            runner: runner, http: prometheus, store: InMemoryStateStore(),
            reporter: Reporter(mode: .human, redactor: Redactor(secrets: []), out: { _ in }, err: { _ in }))
        let source = ServiceParts.metricSource(config: loaded, env: prod, dependencies: dependencies)
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
        let nowhere = ServiceParts.metricSource(config: loaded, env: bare, dependencies: dependencies)
        let unread = await nowhere.read(queries[0])
        XCTAssertEqual(
            unread,
            .inconclusive("no Prometheus URL is configured for this environment (`prometheus: http://HOST:9090`)"))
    }

    func testAWrongEntryIsReportedAtItsLineWithWhatToWrite() {
        let every = MetricBackends.all.map { "`\($0.example)`" }.joined(separator: " or ")
        let cases: [(entry: String, message: String)] = [
            ("{ name: e, prometheus: \"  \", max: 1 }", "the query is empty; write the PromQL expression to evaluate"),
            ("{ name: e, max: 1 }", "give exactly one source: \(every)"),
            (
                "{ name: e, prometheus: up, cloudwatch: { namespace: N, metric: M }, max: 1 }",
                "give exactly one source: \(every)"
            ),
            ("{ name: e, prometheus: up }", "give a threshold: `max`, `min` or `max_ratio_to_baseline`"),
            (
                "{ name: e, cloudwatch: { namespace: N, metric: M, stat: p99 }, max: 1 }",
                "expected one of: Sum, Average, Minimum, Maximum, SampleCount, got `p99`"
            ),
            (
                "{ name: e, cloudwatch: { namespace: N, metric: M, period: 0 }, max: 1 }",
                "expected a whole number from 1 to 86400, got `0`"
            ),
            (
                "{ name: e, cloudwatch: { namespace: N, metric: M, dimensions: { \"a b\": x } }, max: 1 }",
                "`a b` is not a valid name"
            ),
            ("{ name: e, cloudwatch: { namespace: N }, max: 1 }", "required key `metric` is missing"),
            ("{ name: e, datadog: \"avg:x\", max: 1 }", "unknown key `datadog`"),
        ]
        for (entry, message) in cases {
            let found = SampleConfig.issues(config("        - \(entry)"))
            XCTAssertTrue(
                found.contains { $0.message.contains(message) && $0.line == 10 },
                "\(entry): \(found.map { "\($0.line): \($0.key): \($0.message)" })")
        }
    }

    func testAnEnvironmentWithoutTheAddressItsMetricsNeedIsNamed() {
        let found = SampleConfig.issues(
            config(
                bothKinds,
                environments: """
                    prod: { region: us-east-1, prometheus: "http://127.0.0.1:9090" }
                      staging: { region: us-east-1 }
                    """))
        XCTAssertEqual(
            found.map { "\($0.key): \($0.message)" },
            [
                "environments.staging.prometheus: service api has Prometheus metrics, so environment staging needs `prometheus: http://HOST:9090`"
            ])
        let cloudWatchOnly = SampleConfig.issues(
            config(
                """
                        - { name: throttles, cloudwatch: { namespace: AWS/Lambda, metric: Throttles }, max: 0 }
                """, environments: "prod: { region: us-east-1 }"))
        XCTAssertEqual(cloudWatchOnly.map(\.message), [], "CloudWatch needs no address")
    }

    /// The judge's keys exactly as the product's configuration reference writes them.
    func testTheJudgeKeysLoadAsWritten() throws {
        let yaml = """
            version: 1
            environments:
              prod: { region: us-east-1, prometheus: "http://127.0.0.1:9090" }
            services:
              api:
                provider: lambda
                lambda: { function: micro-app-api, alias: live }
                analysis:
                  interval: 5s
                  judge:
                    confidence: 0.98
                    min_requests: 50
                    max_extension: 5m
                    on_insufficient: revert
                  metrics:
                    - name: error-rate
                      prometheus:
                        failures: sum(increase(llm_requests_total{version="{{version}}",status="error"}[{{window}}]))
                        total: sum(increase(llm_requests_total{version="{{version}}"}[{{window}}]))
                      max_increase: 50%
                    - name: lambda-errors
                      cloudwatch:
                        failures: { namespace: AWS/Lambda, metric: Errors, stat: Sum, dimensions: { FunctionName: micro-app-api, Resource: "micro-app-api:live", ExecutedVersion: "{{version}}" } }
                        total: { namespace: AWS/Lambda, metric: Invocations, stat: Sum, dimensions: { FunctionName: micro-app-api, Resource: "micro-app-api:live", ExecutedVersion: "{{version}}" } }
                      max_increase: 50%
            """
        let loaded = try ConfigLoader(environment: [:]).parse(yaml: yaml, path: "shipctl.yaml")
        let analysis = try XCTUnwrap(loaded.service(named: "api")).analysis
        XCTAssertEqual(
            analysis.judge,
            JudgeConfig(
                confidence: 0.98, minRequests: .count(50), power: 0.8, maxExtension: .seconds(300),
                onInsufficient: .revert))
        XCTAssertEqual(analysis.metrics.map(\.maxIncrease), [0.5, 0.5])
        let fill = Placeholders(["version": "7", "window": "37s"])
        XCTAssertEqual(
            analysis.metrics[0].source.filled(fill).display,
            "sum(increase(llm_requests_total{version=\"7\",status=\"error\"}[37s]))")
        XCTAssertEqual(
            analysis.metrics[0].total?.filled(fill).display, "sum(increase(llm_requests_total{version=\"7\"}[37s]))")
        XCTAssertEqual(analysis.metrics[1].total?.kind, "cloudwatch")
        XCTAssertTrue(analysis.metrics[1].total?.filled(fill).display.contains("ExecutedVersion=7") == true)
    }

    func testAWrongJudgeIsReportedAtItsLine() {
        let judged = "prometheus: { failures: f, total: t }"
        let cases: [(entry: String, message: String)] = [
            ("{ name: e, prometheus: { failures: f, total: 't[{{window}}]' } }", "must be read alike"),
            ("{ name: e, prometheus: up, max_increase: 50% }", "`max_increase` judges a metric by counts"),
            ("{ name: e, prometheus: { failures: f }, max_increase: 50% }", "required key `total` is missing"),
            ("{ name: e, prometheus: { failures: f, total: t, ratio: r }, max_increase: 50% }", "unknown key `ratio`"),
            ("{ name: e, \(judged), max_increase: lots }", "expected an increase (like 50% or 0.5)"),
            ("{ name: e, \(judged), max_increase: -5% }", "expected a percentage from 0% to 10000%"),
            ("{ name: e, prometheus: up, judge: kruskal, max_increase: 5% }", "expected `mann-whitney`"),
            (
                "{ name: e, prometheus: up, judge: mann-whitney }",
                "a metric judged by `mann-whitney` needs `max_increase`"
            ),
            ("{ name: e, prometheus: up, direction: increase, max: 1 }", "with `judge: mann-whitney`"),
            (
                "{ name: e, \(judged), judge: mann-whitney, max_increase: 5% }",
                "is judged by its counts; leave out `judge`"
            ),
        ]
        for (entry, message) in cases {
            let found = SampleConfig.issues(config("        - \(entry)"))
            XCTAssertTrue(
                found.contains { $0.message.contains(message) && $0.line == 10 },
                "\(entry): \(found.map { "\($0.line): \($0.key): \($0.message)" })")
        }
        let judges: [(judge: String, message: String)] = [
            ("{ confidence: 1.5 }", "expected a confidence from 0.5 to 0.9999"),
            ("{ min_requests: some }", "expected a number of requests or `auto`"),
            ("{ on_insufficient: wait }", "expected one of revert, hold, continue"),
            ("{ max_extension: forever }", "expected a duration"),
        ]
        for (judge, message) in judges {
            let yaml = config("        - { name: e, \(judged), max_increase: 50% }").replacingOccurrences(
                of: "    analysis:\n", with: "    analysis:\n      judge: \(judge)\n")
            let found = SampleConfig.issues(yaml)
            XCTAssertTrue(
                found.contains { $0.message.contains(message) && $0.line == 9 },
                "\(judge): \(found.map { "\($0.line): \($0.key): \($0.message)" })")
        }
    }

    /// `min_requests: auto`: the sample that catches twice the allowed increase with the stated power.
    func testAutoMinRequestsGrowsAsTheAllowedRateShrinks() {
        var judge = JudgeConfig.defaults
        judge.minRequests = .auto
        let atTwoPercent = judge.requiredRequests(allowedRatio: 1.5, stableRate: 0.02)
        let atTenPercent = judge.requiredRequests(allowedRatio: 1.5, stableRate: 0.1)
        XCTAssertTrue((400...1000).contains(atTwoPercent), "\(atTwoPercent)")
        XCTAssertLessThan(atTenPercent, atTwoPercent)
        XCTAssertEqual(
            judge.requiredRequests(allowedRatio: 1.5, stableRate: nil),
            judge.requiredRequests(allowedRatio: 1.5, stableRate: 0.005))
        let why = MetricEvaluator.waitingReason(
            have: 48, needed: atTwoPercent, window: "120s", allowed: 1.5, stableRate: 0.02, config: judge)
        XCTAssertTrue(
            why.hasPrefix(
                "48 of the \(atTwoPercent) canary requests needed (min_requests auto: enough to catch a canary failing 3× "
                    + "as often as stable's 2% with power 0.8 at 98%); at 0.4 a second, about "), why)
        judge.minRequests = .count(30)
        XCTAssertEqual(judge.requiredRequests(allowedRatio: 1.5, stableRate: 0.02), 30)
    }
}
