import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// Issue "Cloud Run": the same canary, analysis, smoke tests, flags, audit and
/// rollback for a `provider: cloudrun` service, through the real gcloud CLI
/// against the Cloud Run API fake, with Prometheus scraping the traffic
/// simulator that follows the fake's traffic split.
final class CloudRunPromoteTests: WorldTestCase {

    static func service(_ name: String, steps: String, key: String = "web") -> String {
        """
          \(key):
            provider: cloudrun
            cloudrun: { service: \(name), region: us-central1, project: \(TestWorld.cloudRunProject) }
            strategy:
              steps:
        \(steps)
            smoke:
              - { name: tagged, invoke: { payload: '{"ping": true}' } }
            analysis:
              interval: 1s
              failure_limit: 1
              inconclusive_limit: 6
              metrics:
                - name: error-rate
                  prometheus: sum(rate(llm_requests_total{function="{{function}}",version="{{canary}}",status="error"}[30s])) / sum(rate(llm_requests_total{function="{{function}}",version="{{canary}}"}[30s]))
                  max: 0.02
            on_failure:
              revert: true
              flags:
                - { ssm: /micro-app/{{env}}/MODEL_PROVIDER, value: small-llm }
        """
    }

    static let threeSteps = """
                  - { weight: 12.5, pause: 3s }
                  - { weight: 50, pause: 2s }
                  - { weight: 100 }
        """

    func testAGoodRevisionGoesThroughEveryStepTo100Percent() async throws {
        let revisions = try await world.createCloudRunService("web-good", revisions: 2)
        try await world.createFunctions(["flag-holder"], versions: 1)  // the SSM flag the services share
        let config = try world.writeConfig(
            SampleConfig.inWorld(services: Self.service("web-good", steps: Self.threeSteps)))

        let run = await world.shipctl(["promote", "--service", "web", "--env", "prod"], config: config)

        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertTrue(
            run.stdout.contains("from version \(revisions[0]) to \(revisions[1])"),
            "the newest ready revision is promoted: \(run.stdout)")
        XCTAssertTrue(
            run.stdout.contains("now 87% on \(revisions[0]), 13% on \(revisions[1])"),
            "12.5% rounds to whole percentages adding up to 100: \(run.stdout)")
        XCTAssertTrue(run.stdout.contains("now 50% on \(revisions[0]), 50% on \(revisions[1])"), run.stdout)
        XCTAssertTrue(run.stdout.contains("smoke tagged: pass"), run.stdout)
        let traffic = try await world.cloudRunTraffic("web-good")
        XCTAssertEqual(traffic.percents, [revisions[1]: 100])
        let shifts = try world.auditRecords().filter {
            $0["action"]?.stringValue == AuditAction.trafficShift && $0["phase"]?.stringValue == "result"
        }
        XCTAssertEqual(shifts.count, 2)
        XCTAssertTrue(
            try world.auditRecords().contains {
                $0["action"]?.stringValue == AuditAction.analysis && $0["outcome"]?.stringValue == "pass"
            })
        let verify = await world.shipctl(["audit", "verify"], config: config)
        XCTAssertEqual(verify.status, 0, verify.output)
    }

    func testABadRevisionIsRevertedToThePreviousOneAndTheFlagFlipped() async throws {
        let revisions = try await world.createCloudRunService("web-bad", revisions: 2)
        try await world.createFunctions(["flag-holder"], versions: 1)
        try await world.setBehaviour(version: revisions[1], errorRate: 0.4)
        let config = try world.writeConfig(
            SampleConfig.inWorld(services: Self.service("web-bad", steps: Self.threeSteps)))

        let run = await world.shipctl(
            ["promote", "--service", "web", "--env", "prod", "--version", revisions[1]], config: config)

        XCTAssertEqual(run.status, 3, run.output)
        XCTAssertTrue(run.stderr.contains("error-rate"), run.stderr)
        let traffic = try await world.cloudRunTraffic("web-bad")
        XCTAssertEqual(traffic.percents, [revisions[0]: 100])
        let flag = try await world.ssmValue("/micro-app/prod/MODEL_PROVIDER")
        XCTAssertEqual(flag, "small-llm")
        let finish = try world.auditRecords().last { $0["action"]?.stringValue == AuditAction.deploymentFinish }
        XCTAssertEqual(finish?["outcome"]?.stringValue, "rolled-back")
    }

    /// One file with a Lambda and a Cloud Run service: each is promoted, and
    /// rollback and status answer for Cloud Run exactly as for Lambda (same JSON keys, same exit codes).
    func testOneConfigWithLambdaAndCloudRunPromotesEachAndRollbackAndStatusMatch() async throws {
        let revisions = try await world.createCloudRunService("web-roll", revisions: 2)
        try await world.createFunction("lambda-roll", versions: 2)
        let config = try world.writeConfig(
            SampleConfig.inWorld(
                services: Self.service("web-roll", steps: "          - { weight: 100 }")
                    + "\n"
                    + LambdaPromoteTests.lambdaService(
                        function: "lambda-roll", steps: "          - { weight: 100 }", key: "fn")))

        for (service, version) in [("web", revisions[1]), ("fn", "2")] {
            let promote = await world.shipctl(
                ["promote", "--service", service, "--env", "prod", "--version", version], config: config)
            XCTAssertEqual(promote.status, 0, promote.output)
        }
        let cloudStatus = await world.shipctl(
            ["status", "--service", "web", "--env", "prod", "--json"], config: config)
        let lambdaStatus = await world.shipctl(
            ["status", "--service", "fn", "--env", "prod", "--json"], config: config)
        XCTAssertEqual(cloudStatus.status, lambdaStatus.status)
        let cloud = try XCTUnwrap(JSONValue.parse(cloudStatus.stdout))
        let lambda = try XCTUnwrap(JSONValue.parse(lambdaStatus.stdout))
        XCTAssertEqual(cloud.objectKeys, lambda.objectKeys)
        XCTAssertEqual(cloud["live"]?["stable"]?.stringValue, revisions[1])
        XCTAssertEqual(cloud["last_known_good"]?.stringValue, revisions[1])

        let cloudRollback = await world.shipctl(
            ["rollback", "--service", "web", "--env", "prod", "--json"], config: config)
        let lambdaRollback = await world.shipctl(
            ["rollback", "--service", "fn", "--env", "prod", "--json"], config: config)
        XCTAssertEqual(cloudRollback.status, 0, cloudRollback.output)
        XCTAssertEqual(lambdaRollback.status, 0, lambdaRollback.output)
        let events = { (run: ShipctlRun) in
            run.stdout.split(separator: "\n").compactMap { JSONValue.parse(String($0))?["event"]?.stringValue }
        }
        // The flag flips run beside the traffic call, so their events may come before or after it.
        XCTAssertEqual(events(cloudRollback).sorted(), events(lambdaRollback).sorted())
        let traffic = try await world.cloudRunTraffic("web-roll")
        XCTAssertEqual(traffic.percents, [revisions[0]: 100])
        let alias = try await world.alias("lambda-roll")
        XCTAssertEqual(alias.version, "1")
        let after = await world.shipctl(["status", "--service", "web", "--env", "prod", "--json"], config: config)
        XCTAssertEqual(JSONValue.parse(after.stdout)?["live"]?["stable"]?.stringValue, revisions[0])
    }

    func testGcloudFailuresAreRetriedWhenTransientAndReportedWhenNot() async throws {
        let revisions = try await world.createCloudRunService("web-flaky", revisions: 3)
        try await world.createFunctions(["flag-holder"], versions: 1)
        // No smoke test: every PUT is then a traffic change, so the injected failures land on those.
        let config = try world.writeConfig(
            SampleConfig.inWorld(
                services: Self.service("web-flaky", steps: "          - { weight: 100 }")
                    .replacingOccurrences(
                        of: "    smoke:\n      - { name: tagged, invoke: { payload: '{\"ping\": true}' } }\n", with: "")
            ))

        try await world.injectCloudRunFault(status: 429, count: 2, method: "PUT")
        let throttled = await world.shipctl(
            ["promote", "--service", "web", "--env", "prod", "--version", revisions[1]], config: config)
        XCTAssertEqual(throttled.status, 0, throttled.output)
        var puts = try await world.cloudRunRequests().filter { $0.method == "PUT" }.map(\.status)
        XCTAssertEqual(Array(puts.prefix(3)), [429, 429, 200], "two throttled PUTs, then the retry that went through")

        try await world.injectCloudRunFault(status: 503, count: 2, method: "GET")
        let unavailable = await world.shipctl(
            ["status", "--service", "web", "--env", "prod", "--json"], config: config)
        XCTAssertEqual(
            JSONValue.parse(unavailable.stdout)?["live"]?["stable"]?.stringValue, revisions[1], unavailable.output)

        let before = try await world.cloudRunRequests().count
        try await world.injectCloudRunFault(status: 400, count: 1, method: "PUT")
        let refused = await world.shipctl(
            ["promote", "--service", "web", "--env", "prod", "--version", revisions[2]], config: config)
        XCTAssertEqual(refused.status, 1, refused.output)
        XCTAssertTrue(refused.stderr.contains("INVALID_ARGUMENT: injected failure 400"), refused.stderr)
        puts = try await world.cloudRunRequests().dropFirst(before).filter { $0.method == "PUT" }.map(\.status)
        XCTAssertEqual(puts.first, 400)
        XCTAssertEqual(puts.filter { $0 == 400 }.count, 1, "a 400 is not retried: \(puts)")
        let traffic = try await world.cloudRunTraffic("web-flaky")
        XCTAssertEqual(traffic.percents, [revisions[1]: 100])
    }
}

extension JSONValue {
    /// The keys of an object, sorted; empty for anything else.
    var objectKeys: [String] {
        if case .object(let fields) = self { return fields.keys.sorted() }
        return []
    }
}
