import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// Promote, gates, revert and state for a Lambda service, end to end: the real shipctl binary, the
/// real aws CLI, moto_server, Prometheus scraping the traffic simulator.
final class LambdaPromoteTests: WorldTestCase {

    static func config(function: String, steps: String, failureLimit: Int = 1, inconclusiveLimit: Int = 6) -> String {
        SampleConfig.inWorld(
            services: lambdaService(
                function: function, steps: steps, failureLimit: failureLimit, inconclusiveLimit: inconclusiveLimit))
    }

    /// One lambda service entry under `services:`, named `key`.
    static func lambdaService(
        function: String, steps: String, failureLimit: Int = 1, inconclusiveLimit: Int = 6, key: String = "api"
    ) -> String {
        """
          \(key):
            provider: lambda
            lambda: { function: \(function), alias: live }
            strategy:
              steps:
        \(steps)
            smoke:
              - { name: invoke, invoke: { payload: '{"ping": true}' } }
            analysis:
              interval: 1s
              failure_limit: \(failureLimit)
              inconclusive_limit: \(inconclusiveLimit)
              metrics:
                - name: error-rate
                  prometheus: sum(rate(llm_requests_total{function="{{function}}",version="{{canary}}",status="error"}[30s])) / sum(rate(llm_requests_total{function="{{function}}",version="{{canary}}"}[30s]))
                  max: 0.02
                - name: p95-latency
                  prometheus: histogram_quantile(0.95, sum(rate(llm_request_latency_seconds_bucket{function="{{function}}",version="{{canary}}"}[30s])) by (le))
                  max: 2.5
            on_failure:
              revert: true
              flags:
                - { ssm: "/micro-app/{{env}}/MODEL_PROVIDER", value: small-llm }
        """
    }

    static let threeSteps = """
                  - { weight: 10, pause: 3s }
                  - { weight: 50, pause: 3s }
                  - { weight: 100 }
        """

    func testGoodVersionGoesThroughEveryStepAndEndsWithoutRouting() async throws {
        try await world.createFunction("good-app", versions: 2)
        let config = try world.writeConfig(Self.config(function: "good-app", steps: Self.threeSteps))

        let run = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config)

        XCTAssertEqual(run.status, 0, run.output)
        let alias = try await world.alias("good-app")
        XCTAssertEqual(alias.version, "2")
        XCTAssertTrue(alias.weights.isEmpty, "routing config left behind: \(alias.weights)")
        let shifts = try world.auditRecords().filter {
            $0["action"]?.stringValue == "traffic.shift" && $0["phase"]?.stringValue == "result"
        }
        XCTAssertEqual(shifts.compactMap { $0["args"]?["weight"]?.doubleValue }, [10, 50])
        XCTAssertTrue(shifts.allSatisfy { $0["outcome"]?.stringValue == "ok" })
        XCTAssertTrue(
            try world.auditRecords().contains {
                $0["action"]?.stringValue == "traffic.complete" && $0["outcome"]?.stringValue == "ok"
            })
        let verify = await world.shipctl(["audit", "verify"], config: config)
        XCTAssertEqual(verify.status, 0, verify.output)
        let status = await world.shipctl(["status", "--service", "api", "--env", "prod", "--json"], config: config)
        XCTAssertEqual(JSONValue.parse(status.stdout)?["last_known_good"]?.stringValue, "2", status.output)
    }

    func testBadVersionIsRevertedInTheFirstStepAndTheFlagIsFlipped() async throws {
        try await world.createFunction("bad-app", versions: 2)
        try await world.setBehaviour(version: "2", errorRate: 0.4)
        let steps = """
                      - { weight: 10, pause: 30s }
                      - { weight: 100 }
            """
        let config = try world.writeConfig(Self.config(function: "bad-app", steps: steps))

        let run = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config)

        XCTAssertEqual(run.status, 3, run.output)
        XCTAssertTrue(run.stderr.contains("error-rate"), run.stderr)
        XCTAssertTrue(run.stderr.contains("max 0.02"), run.stderr)
        let alias = try await world.alias("bad-app")
        XCTAssertEqual(alias.version, "1")
        XCTAssertTrue(alias.weights.isEmpty, "routing config left behind: \(alias.weights)")
        let model = try await world.ssmValue("/micro-app/prod/MODEL_PROVIDER")
        XCTAssertEqual(model, "small-llm")
        let records = try world.auditRecords()
        XCTAssertFalse(records.contains { $0["args"]?["weight"]?.doubleValue == 100 }, "the bad version reached 100%")
        let failed = records.first { $0["action"]?.stringValue == "analysis" && $0["outcome"]?.stringValue == "fail" }
        XCTAssertEqual(failed?["args"]?["metric"]?.stringValue, "error-rate")
        XCTAssertEqual(failed?["args"]?["threshold"]?.stringValue, "max 0.02")
        XCTAssertGreaterThan(failed?["args"]?["value"]?.doubleValue ?? 0, 0.02)
        let finish = records.last { $0["action"]?.stringValue == "deployment.finish" }
        XCTAssertEqual(finish?["outcome"]?.stringValue, "rolled-back")
        XCTAssertTrue(finish?["args"]?["reason"]?.stringValue?.contains("error-rate") ?? false)
        let verify = await world.shipctl(["audit", "verify"], config: config)
        XCTAssertEqual(verify.status, 0, verify.output)
    }

    func testRollbackAfterPromoteWorksWithPrometheusStopped() async throws {
        try await world.createFunction("rollback-app", versions: 2)
        let config = try world.writeConfig(Self.config(function: "rollback-app", steps: "          - { weight: 100 }"))
        let promote = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config)
        XCTAssertEqual(promote.status, 0, promote.output)
        let promoted = try await world.alias("rollback-app")
        XCTAssertEqual(promoted.version, "2")

        await world.stop("prometheus")
        let rollback = await world.shipctl(
            ["rollback", "--service", "api", "--env", "prod", "--reason", "cost spike"], config: config)

        XCTAssertEqual(rollback.status, 0, rollback.output)
        let alias = try await world.alias("rollback-app")
        XCTAssertEqual(alias.version, "1")
        XCTAssertTrue(alias.weights.isEmpty)
        let status = await world.shipctl(["status", "--service", "api", "--env", "prod", "--json"], config: config)
        XCTAssertEqual(JSONValue.parse(status.stdout)?["live"]?["stable"]?.stringValue, "1", status.output)
        XCTAssertEqual(JSONValue.parse(status.stdout)?["last_known_good"]?.stringValue, "1", status.output)
    }

    func testSecondPromoteWhileTheFirstHoldsTheLockExitsFour() async throws {
        try await world.createFunction("locked-app", versions: 2)
        let config = try world.writeConfig(
            Self.config(
                function: "locked-app",
                steps: """
                              - { weight: 10, pause: 6s }
                              - { weight: 100 }
                    """))
        let environment = world.environment
        let first = Task {
            await ShipctlRun.run(
                ["promote", "--service", "api", "--env", "prod", "--version", "2", "--config", config],
                environment: environment)
        }
        let lockFile = world.directory.appendingPathComponent("state/locks/api.prod.lock").path
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: lockFile) {
            try await Task.sleep(for: .milliseconds(50))
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: lockFile))

        let second = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config)

        XCTAssertEqual(second.status, 4, second.output)
        XCTAssertTrue(second.stderr.contains("holds the lock"), second.stderr)
        XCTAssertTrue(second.stderr.contains("pid"), second.stderr)
        let firstRun = await first.value
        XCTAssertEqual(firstRun.status, 0, firstRun.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: lockFile), "the lock was not released")
    }

    func testDryRunPrintsTheCommandsAndChangesNothing() async throws {
        try await world.createFunction("dry-app", versions: 2)
        let config = try world.writeConfig(Self.config(function: "dry-app", steps: Self.threeSteps))

        let run = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2", "--dry-run"], config: config)

        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertTrue(run.stdout.contains("would run: aws --region us-east-1 lambda update-alias"), run.stdout)
        XCTAssertTrue(run.stdout.contains("AdditionalVersionWeights"), run.stdout)
        let alias = try await world.alias("dry-app")
        XCTAssertEqual(alias.version, "1")
        XCTAssertTrue(alias.weights.isEmpty)
        XCTAssertFalse(FileManager.default.fileExists(atPath: world.auditLogPath))
        // Read alone, no line may pass for something done ("now 90% on 2", "is now last-known-good").
        for line in run.stdout.split(separator: "\n") where !line.isEmpty {
            XCTAssertTrue(line.hasPrefix(Reporter.dryRunMark), "a dry-run line that reads as done: \(line)")
        }
        let json = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2", "--dry-run", "--json"], config: config)
        XCTAssertEqual(json.status, 0, json.output)
        let events = json.stdout.split(separator: "\n").map { JSONValue.parse(String($0)) }
        XCTAssertTrue(events.contains { $0?["event"]?.stringValue == "shift" }, json.stdout)
        for (line, event) in zip(json.stdout.split(separator: "\n"), events) {
            XCTAssertEqual(event?["dry_run"], .bool(true), "an event a script would believe: \(line)")
        }
    }
}
