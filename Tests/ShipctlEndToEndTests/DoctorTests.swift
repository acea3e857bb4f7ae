import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// `shipctl doctor` against the test world: moto behind the aws CLI, the real Prometheus scraping the
/// traffic simulator, the Cloud Run fake behind gcloud. A setup that is ready passes; each broken part
/// is named with its fix, and nothing is changed.
final class DoctorTests: WorldTestCase {
    func config(function: String, alias: String = "live", status: String = "error") throws -> String {
        try world.writeConfig(
            SampleConfig.inWorld(
                services: """
                      api:
                        provider: lambda
                        lambda: { function: \(function), alias: \(alias) }
                        strategy: { steps: [ { weight: 50, pause: 3s }, { weight: 100 } ] }
                        analysis:
                          metrics:
                            - name: error-rate
                              prometheus: sum(rate(llm_requests_total{function="{{function}}",version="{{canary}}",status="\(status)"}[1m])) / sum(rate(llm_requests_total{function="{{function}}",version="{{canary}}"}[1m]))
                              max: 0.02
                        on_failure:
                          flags:
                            - { ssm: "/doctor-app/{{env}}/MODEL", value: small-llm }
                    """))
    }

    func lines(_ run: ShipctlRun) -> [String] { run.stdout.split(separator: "\n").map(String.init) }

    func testAReadySetupPassesAndEachBrokenPartIsNamedWithItsFix() async throws {
        try await world.createFunction("doctor-app", versions: 2)
        _ = try await world.aws([
            "ssm", "put-parameter", "--name", "/doctor-app/prod/MODEL", "--value", "big-llm", "--type", "String",
        ])
        let ready = try config(function: "doctor-app")
        // The simulator finds a new function and Prometheus scrapes its series within seconds.
        var run = await world.shipctl(["doctor"], config: ready)
        for _ in 0..<30 where run.status != 0 {
            try await Task.sleep(for: .seconds(1))
            run = await world.shipctl(["doctor"], config: ready)
        }
        XCTAssertEqual(run.status, 0, run.output)
        let shown = lines(run)
        XCTAssertEqual(shown.first, "api/prod — lambda doctor-app:live")
        for line in [
            "  ✓ credentials: arn:aws:sts::123456789012:user/moto (account 123456789012), "
                + "from AWS_ACCESS_KEY_ID in the environment (long-lived keys)",
            "  ✓ region: us-east-1, from the environment's `region:`",
            "  ✓ lambda doctor-app:live: serving 100% on 1",
            "  ✓ lambda:GetAlias: allowed (the alias was read)",
            "  ✓ lambda:GetFunctionConfiguration: allowed (version 1 was read)",
            "  · lambda:UpdateAlias: needed for every traffic step, the revert and rollback; no harmless call shows it",
            "  ✓ gate error-rate: stable version 1 reads 0 (max 0.02)",
            "  ✓ flag ssm /doctor-app/prod/MODEL: readable, now big-llm",
            "  ✓ audit log: reachable; 0 records verify",
            "  ✓ lock api/prod: free",
        ] {
            XCTAssertTrue(shown.contains(line), "missing \(line) in\n\(run.stdout)")
        }
        XCTAssertEqual(
            shown.last, "doctor: everything a promote needs is in place (· marks what no harmless call can show)")
        // Both ways shipctl reaches AWS name it (the signed Lambda API, the aws CLI's sts call), so the
        // world's check of every action against docs/permissions/aws-iam-policy.json sees them.
        let called = world.awsActions()
        for action in [
            "lambda:GetAlias", "lambda:GetFunctionConfiguration", "sts:GetCallerIdentity", "ssm:GetParameter",
        ] {
            XCTAssertTrue(called.contains(action), "\(action) not among \(called)")
        }
        XCTAssertFalse(called.contains("ssm:PutParameter"), "the test's own setup is not counted as shipctl's")
        // A policy trimmed of an action shipctl called would fail the world's check, naming it.
        let policy = try AWSPermissionPolicy.load()
        XCTAssertEqual(policy.unlisted(called), [])
        XCTAssertEqual(policy.without("lambda:GetAlias").unlisted(called), ["lambda:GetAlias"])

        // A label value the app never exports: the matcher is named, with the values the label has.
        let wrongLabel = await world.shipctl(["doctor"], config: try config(function: "doctor-app", status: "failed"))
        XCTAssertEqual(wrongLabel.status, 1, wrongLabel.output)
        let gate = lines(wrongLabel).first { $0.hasPrefix("  ✗ gate error-rate: ") } ?? ""
        XCTAssertTrue(
            gate.hasPrefix(
                "  ✗ gate error-rate: no data for stable version 1: `status=\"failed\"` matches no series of "
                    + "`llm_requests_total` with function=\"doctor-app\", version=\"1\"; its values there: \"error\", \"ok\""
            ), wrongLabel.stdout)
        XCTAssertTrue(wrongLabel.stderr.contains("1 check(s) failed"), wrongLabel.stderr)

        // An alias that does not exist: its fix creates it; the gates cannot be asked without a stable version.
        let noAlias = await world.shipctl(
            ["doctor", "--json"], config: try config(function: "doctor-app", alias: "missing"))
        XCTAssertEqual(noAlias.status, 1, noAlias.output)
        let report = JSONValue.parse(noAlias.stdout.split(separator: "\n").first.map(String.init) ?? "")
        XCTAssertEqual(report?["event"]?.stringValue, "doctor", noAlias.stdout)
        XCTAssertEqual(report?["failures"]?.doubleValue, 1, noAlias.stdout)
        let checks = report?["sections"]?.arrayValue?.first?["checks"]?.arrayValue ?? []
        let alias = checks.first { $0["subject"]?.stringValue == "lambda doctor-app:missing" }
        XCTAssertEqual(alias?["status"]?.stringValue, "failed")
        XCTAssertEqual(
            alias?["fix"]?.stringValue,
            "create the alias: `aws lambda create-alias --function-name doctor-app --name missing --function-version 1`, "
                + "or let terraform create it")
        let gateCheck = checks.first { $0["subject"]?.stringValue == "gate error-rate" }
        XCTAssertEqual(gateCheck?["status"]?.stringValue, "not-probed")

        // No credentials anywhere: the first check says so and what to do.
        var bare = world.environment
        for key in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"] {
            bare.removeValue(forKey: key)
        }
        bare["AWS_CONFIG_FILE"] = world.directory.appendingPathComponent("no-aws-config").path
        bare["AWS_SHARED_CREDENTIALS_FILE"] = world.directory.appendingPathComponent("no-aws-credentials").path
        bare["AWS_EC2_METADATA_DISABLED"] = "true"
        let anonymous = await ShipctlRun.run(["doctor", "--config", ready], environment: bare, timeout: .seconds(120))
        XCTAssertEqual(anonymous.status, 1, anonymous.output)
        let credentials = lines(anonymous).first { $0.hasPrefix("  ✗ credentials: ") } ?? ""
        XCTAssertTrue(credentials.contains("sts get-caller-identity"), anonymous.stdout)
        XCTAssertTrue(credentials.contains("Unable to locate credentials"), anonymous.stdout)
        XCTAssertTrue(
            anonymous.stdout.contains("      fix: give this shell credentials: in GitHub Actions "), anonymous.stdout)

        // Read-only: nothing was written and the alias is as it was.
        XCTAssertEqual((try? world.auditRecords().count) ?? 0, 0)
        let live = try await world.alias("doctor-app")
        XCTAssertEqual(live.version, "1")
        XCTAssertTrue(live.weights.isEmpty)
        let flag = try await world.ssmValue("/doctor-app/prod/MODEL")
        XCTAssertEqual(flag, "big-llm")
    }

    func testACloudRunServiceIsCheckedThroughGcloud() async throws {
        let revisions = try await world.createCloudRunService("doctor-chat", revisions: 2)
        let config = try world.writeConfig(
            SampleConfig.inWorld(
                services: """
                      chat:
                        provider: cloudrun
                        cloudrun: { service: doctor-chat, region: us-central1 }
                        strategy: { steps: [ { weight: 100 } ] }
                    """, prometheus: false))
        let run = await world.shipctl(["doctor"], config: config)
        XCTAssertEqual(run.status, 0, run.output)
        let shown = lines(run)
        for line in [
            "chat/prod — cloudrun doctor-chat (us-central1)",
            "  ✓ credentials: gcloud makes tokens from an access token in CLOUDSDK_AUTH_ACCESS_TOKEN",
            "  ✓ project: shipctl-test, from CLOUDSDK_CORE_PROJECT; region us-central1",
            "  ✓ cloudrun doctor-chat (us-central1): serving 100% on \(revisions[0])",
            "  ✓ run.services.get: allowed (the service was read)",
            "  ✓ gates: none configured: each step only waits its pause",
        ] {
            XCTAssertTrue(shown.contains(line), "missing \(line) in\n\(run.stdout)")
        }
        XCTAssertFalse(run.output.contains("fake-access-token"), "the token is never shown")
    }

    /// The configuration `init` writes for a Lambda gates on CloudWatch's own per-version metrics: on a function
    /// that has served nothing, doctor names each gate and why it cannot be judged yet; once Lambda's metrics
    /// for stable exist, both gates read.
    func testTheInitTemplateGatesOnWhatEveryLambdaHas() async throws {
        try await world.createFunction("doctor-template", versions: 2)
        let config = world.directory.appendingPathComponent("init.yaml").path
        let written = await world.shipctl(
            ["init", "--provider", "lambda", "--function", "doctor-template"], config: config)
        XCTAssertEqual(written.status, 0, written.output)

        let quiet = await world.shipctl(["doctor"], config: config)
        XCTAssertEqual(quiet.status, 1, quiet.output)
        let dimensions = "{FunctionName=doctor-template,Resource=doctor-template:live,ExecutedVersion=1}"
        for line in [
            "  ✗ gate errors: stable version 1 served no requests in the last 5m — "
                + "`AWS/Lambda Invocations Sum/60s \(dimensions)`",
            "  ✗ gate duration: `AWS/Lambda Duration Average/60s \(dimensions)` could not be read: "
                + "CloudWatch returned no datapoints for Duration in the last 120s",
        ] {
            XCTAssertTrue(lines(quiet).contains(line), "missing \(line) in\n\(quiet.stdout)")
        }
        // CloudWatch's own cause and fix, not a Prometheus address and an `auth:` CloudWatch does not have.
        let durationFix = try XCTUnwrap(
            lines(quiet).drop { !$0.hasPrefix("  ✗ gate duration: ") }.dropFirst().first, quiet.stdout)
        XCTAssertTrue(durationFix.contains("fix: send the version some traffic and run doctor again"), durationFix)
        XCTAssertFalse(durationFix.contains("auth:"), durationFix)

        let dimensionList: JSONValue = [
            ["Name": "FunctionName", "Value": "doctor-template"],
            ["Name": "Resource", "Value": "doctor-template:live"],
            ["Name": "ExecutedVersion", "Value": "1"],
        ]
        // Half a minute ago: CloudWatch (and moto) answer only for datapoints before the query's end, which is
        // cut to the whole second, so a datapoint stamped in the second doctor reads in would not be counted.
        let stamp = JSONValue.string(Timestamp.format(Date().addingTimeInterval(-30)))
        let datums: JSONValue = [
            ["MetricName": "Invocations", "Dimensions": dimensionList, "Value": 40, "Timestamp": stamp],
            ["MetricName": "Errors", "Dimensions": dimensionList, "Value": 1, "Timestamp": stamp],
            [
                "MetricName": "Duration", "Dimensions": dimensionList, "Value": 120, "Unit": "Milliseconds",
                "Timestamp": stamp,
            ],
        ]
        try await world.aws([
            "cloudwatch", "put-metric-data", "--namespace", "AWS/Lambda", "--metric-data", datums.canonical,
        ])
        let served = await world.shipctl(["doctor"], config: config)
        let shown = lines(served)
        XCTAssertTrue(
            shown.contains { $0.hasPrefix("  ✓ gate errors: stable version 1: 40 in the last 5m, judged ") },
            served.stdout)
        XCTAssertTrue(
            shown.contains { $0.hasPrefix("  ✓ gate duration: stable version 1 reads 120 (") }, served.stdout)
        XCTAssertEqual(served.status, 0, served.output)
    }

    /// The README's demo setup passes as it is; then, one at a time, each part a promote leans on is broken
    /// and named with its fix: Prometheus unreachable, the state database down, a flag service that refuses
    /// the token.
    func testTheDemoSetupPassesAndEachBrokenPartIsNamedWithItsFix() async throws {
        // With the demo's model-toggle parameter.
        try await world.createFunction("micro-app-api", versions: 2)
        let demo = try String(
            contentsOf: TestWorld.repositoryRoot.appendingPathComponent("examples/demo/shipctl.yaml"), encoding: .utf8)
        let config = try world.writeConfig(demo)
        var run = await world.shipctl(["doctor"], config: config)
        for _ in 0..<30 where run.status != 0 {
            try await Task.sleep(for: .seconds(1))
            run = await world.shipctl(["doctor"], config: config)
        }
        XCTAssertEqual(run.status, 0, run.output)

        func broken(_ yaml: String, environment: [String: String]? = nil) async throws -> [String] {
            let run = await ShipctlRun.run(
                ["doctor", "--config", try world.writeConfig(yaml)], environment: environment ?? world.environment,
                timeout: .seconds(120))
            XCTAssertEqual(run.status, 1, run.output)
            XCTAssertTrue(run.stderr.contains("check(s) failed"), run.stderr)
            return lines(run)
        }
        func assertNamed(_ shown: [String], _ prefix: String, fix: String, line: UInt = #line) {
            guard let index = shown.firstIndex(where: { $0.hasPrefix(prefix) }) else {
                return XCTFail("no line starting \(prefix) in\n\(shown.joined(separator: "\n"))", line: line)
            }
            XCTAssertTrue(
                shown.indices.contains(index + 1) && shown[index + 1].hasPrefix("      fix: \(fix)"),
                "the fix under \(shown[index]) is not \(fix): \(shown.joined(separator: "\n"))", line: line)
        }

        var unreachable = world.environment
        unreachable["PROMETHEUS_URL"] = "http://127.0.0.1:1"
        assertNamed(
            try await broken(demo, environment: unreachable), "  ✗ gate error-rate: ",
            fix: "check that the metrics backend answers here at the environment's address")

        let databaseDown = demo.replacingOccurrences(
            of: "  dir: ${SHIPCTL_STATE_DIR:-.shipctl}",
            with: "  url: \"postgres://deploy@127.0.0.1:1/shipctl?sslmode=disable\"")
        XCTAssertNotEqual(databaseDown, demo)
        let stateLines = try await broken(databaseDown)
        XCTAssertTrue(
            stateLines.contains { $0.hasPrefix("  ✗ audit log: ") && $0.contains("127.0.0.1:1") },
            stateLines.joined(separator: "\n"))

        let refusedToken = demo.replacingOccurrences(
            of: "        - { ssm: \"/micro-app/{{env}}/MODEL_PROVIDER\", value: small-llm }",
            with: "        - { ssm: \"/micro-app/{{env}}/MODEL_PROVIDER\", value: small-llm }\n"
                + "        - { unleash: { url: \"\(world.flagServiceURL)\", project: default, feature: new-recs, "
                + "environment: production, token: \"wrong-token-0451\" }, enabled: false }")
        XCTAssertNotEqual(refusedToken, demo)
        let flagLines = try await broken(refusedToken)
        XCTAssertTrue(
            flagLines.contains { $0.hasPrefix("  ✗ flag unleash new-recs: ") }, flagLines.joined(separator: "\n"))
        XCTAssertFalse(flagLines.joined().contains("wrong-token-0451"), "the token is never shown")
    }
}
