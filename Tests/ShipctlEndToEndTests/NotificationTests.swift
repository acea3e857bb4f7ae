import Crypto
import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// A canary reverted in the test world tells a Slack incoming webhook and a signed webhook, both played by
/// `scripts/testworld/notify_receiver.py`: what they receive, how refusals and silence are handled, and
/// that neither delays the revert or changes the exit code.
final class NotificationTests: WorldTestCase {
    static let slackToken = "T0SHIP/B0CTL/x0SlackHookToken4d7f"
    static let webhookSecret = "whsec-0f3a9c1e77b24d5e"

    /// A canary whose error rate is 50 %: version 2 of `function`, reverted at its first step.
    func failingCanary(function: String, slackPath: String, webhookPath: String) async throws -> String {
        try await world.createFunction(function, versions: 2)
        try await world.setBehaviour(version: "2", errorRate: 0.5)
        world.environment["SLACK_WEBHOOK_URL"] = "\(world.notifyURL)\(slackPath)/\(Self.slackToken)"
        world.environment["SHIPCTL_WEBHOOK_SECRET"] = Self.webhookSecret
        let service =
            LambdaPromoteTests.lambdaService(
                function: function, steps: "          - { weight: 50, pause: 30s }\n          - { weight: 100 }")
                + """

                    notify:
                      - { webhook: "\(world.notifyURL)\(webhookPath)", secret: "${SHIPCTL_WEBHOOK_SECRET}", on: [rolled-back, failed] }
                """
        return try world.writeConfig(
            SampleConfig.inWorld(services: service) + "\nnotify:\n  - { slack: \"${SLACK_WEBHOOK_URL}\" }\n")
    }

    /// Every request the receiver got on paths starting with `prefix`, in order.
    func received(_ prefix: String) async throws -> [JSONValue] {
        let answer = await SystemProcessRunner().run(
            ProcessRequest(
                "curl", ["-sf", "\(world.notifyURL)/fake/requests"], timeout: .seconds(10), retry: .never,
                mutating: false))
        guard case .array(let requests)? = JSONValue.parse(answer.stdout) else {
            throw TestWorldError("the receiver did not list its requests: \(answer.stderr)")
        }
        return requests.filter { $0["path"]?.stringValue?.hasPrefix(prefix) == true }
    }

    func notifyRecords() throws -> [String: JSONValue] {
        Dictionary(
            try world.auditRecords().filter { $0["action"]?.stringValue == AuditAction.notify }.map {
                ($0["args"]?["target"]?.stringValue ?? "", $0)
            }
        ) { $1 }
    }

    func testAFailedCanaryPostsOneSlackMessageAndOneSignedWebhookAndA500IsTriedAgain() async throws {
        let config = try await failingCanary(
            function: "notify-bad", slackPath: "/answer/500,200/slack", webhookPath: "/hook-signed")
        let run = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config)
        XCTAssertEqual(run.status, 3, run.output)

        let slack = try await received("/answer/500,200/slack")
        XCTAssertEqual(slack.count, 2, "the 500 is tried again, then the 200 ends it: \(slack)")
        XCTAssertEqual(slack.first?["body"], slack.last?["body"], "the same message each try")
        let message = try XCTUnwrap(JSONValue.parse(slack.last?["body"]?.stringValue ?? "")?["text"]?.stringValue)
        XCTAssertTrue(message.hasPrefix(":rotating_light: *api* in *prod*: version 2 was rolled back"), message)
        XCTAssertTrue(message.contains("*Metric:* error-rate = "), message)
        XCTAssertTrue(message.contains("(threshold: max 0.02)"), message)
        let value = try XCTUnwrap(
            message.split(separator: "\n").first { $0.hasPrefix("*Metric:*") }.flatMap {
                Double($0.split(separator: " ")[3])
            }, message)
        XCTAssertGreaterThan(value, 0.02, "the value shown is the one that breached: \(message)")

        let hooks = try await received("/hook-signed")
        XCTAssertEqual(hooks.count, 1, "\(hooks)")
        let hook = try XCTUnwrap(hooks.first)
        let body = try XCTUnwrap(hook["body"]?.stringValue)
        let expected = HMAC<SHA256>.authenticationCode(
            for: Data(body.utf8), using: SymmetricKey(data: Data(Self.webhookSecret.utf8))
        ).map { String(format: "%02x", $0) }.joined()
        XCTAssertEqual(hook["headers"]?["x-shipctl-signature"]?.stringValue, "sha256=\(expected)")
        let event = try XCTUnwrap(JSONValue.parse(body))
        XCTAssertEqual(event["event"]?.stringValue, "deployment.finished")
        XCTAssertEqual(event["outcome"]?.stringValue, "rolled-back")
        XCTAssertEqual(event["service"]?.stringValue, "api")
        XCTAssertEqual(event["metric"]?["name"]?.stringValue, "error-rate")
        XCTAssertEqual(event["metric"]?["threshold"]?.stringValue, "max 0.02")
        XCTAssertEqual(event["delivery"]?.stringValue, hook["headers"]?["x-shipctl-delivery"]?.stringValue)

        let records = try notifyRecords()
        XCTAssertEqual(records["slack"]?["outcome"]?.stringValue, "sent")
        XCTAssertEqual(records["slack"]?["args"]?["tries"]?.doubleValue, 2)
        XCTAssertEqual(records["webhook"]?["outcome"]?.stringValue, "sent")
        XCTAssertEqual(records["webhook"]?["args"]?["delivery"]?.stringValue, event["delivery"]?.stringValue)
        XCTAssertTrue(run.stdout.contains("notified slack at 127.0.0.1 (rolled-back)"), run.stdout)

        let log = try String(contentsOfFile: world.auditLogPath, encoding: .utf8)
        for secret in [Self.slackToken, Self.webhookSecret] {
            XCTAssertFalse(run.output.contains(secret), "\(secret) in the output")
            XCTAssertFalse(log.contains(secret), "\(secret) in the audit log")
            for request in slack + hooks {
                XCTAssertFalse(request["body"]?.stringValue?.contains(secret) ?? true, "\(secret) in a body")
            }
        }
        let verify = await world.shipctl(["audit", "verify"], config: config)
        XCTAssertEqual(verify.status, 0, verify.output)
    }

    func testARefusalIsNotTriedAgainAndAHangingReceiverDelaysNeitherTheRevertNorTheExitCode() async throws {
        let config = try await failingCanary(
            function: "notify-refused", slackPath: "/answer/401/slack", webhookPath: "/hang/hook")
        let run = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config)
        XCTAssertEqual(run.status, 3, "the exit code is the canary's: \(run.output)")
        let alias = try await world.alias("notify-refused")
        XCTAssertEqual(alias.version, "1")

        let refused = try await received("/answer/401/slack")
        XCTAssertEqual(refused.count, 1, "a 401 is not tried again")
        let hung = try await received("/hang/hook")
        XCTAssertFalse(hung.isEmpty)
        let records = try world.auditRecords()
        let reverted = try XCTUnwrap(
            records.last {
                $0["action"]?.stringValue == AuditAction.trafficRevert && $0["phase"]?.stringValue == "result"
            })
        let revertedAt = try XCTUnwrap(reverted["ts"]?.stringValue.flatMap(RFC3339.parse))
        let firstCall = try XCTUnwrap(hung.first?["at"]?.doubleValue)
        XCTAssertLessThan(
            revertedAt.timeIntervalSince1970, firstCall, "traffic was back on stable before the webhook was called")

        let notified = try notifyRecords()
        XCTAssertEqual(notified["slack"]?["outcome"]?.stringValue, "failed")
        XCTAssertEqual(notified["slack"]?["args"]?["tries"]?.doubleValue, 1)
        XCTAssertEqual(notified["slack"]?["args"]?["status"]?.doubleValue, 401)
        XCTAssertEqual(notified["webhook"]?["outcome"]?.stringValue, "failed")
        XCTAssertTrue(run.stderr.contains("could not notify slack at 127.0.0.1 after 1 try: HTTP 401"), run.stderr)
        XCTAssertFalse(run.output.contains(Self.slackToken))
    }

    /// A webhook's address is a capability: a refused connection names its host, never its token or key.
    /// A 307 is a failed delivery that says where it pointed: the POST is not sent again without its body.
    func testACapabilityAddressStaysSecretAndARedirectIsAFailedDelivery() async throws {
        try await world.createFunction("notify-edge", versions: 2)
        try await world.setBehaviour(version: "2", errorRate: 0.5)
        let (token, key) = ("hookToken7c1d9e2f", "fnKey0a8b7c6d5e")
        let service =
            LambdaPromoteTests.lambdaService(
                function: "notify-edge", steps: "          - { weight: 50, pause: 30s }\n          - { weight: 100 }")
                + """

                    notify:
                      - { webhook: "http://127.0.0.1:9/webhooks/8812/\(token)?code=\(key)", secret: "\(Self.webhookSecret)" }
                      - { slack: "\(world.notifyURL)/redirect/slack/\(Self.slackToken)" }
                """
        let config = try world.writeConfig(SampleConfig.inWorld(services: service))
        let run = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config)
        XCTAssertEqual(run.status, 3, run.output)
        let records = try world.auditRecords().filter { $0["action"]?.stringValue == AuditAction.notify }
        XCTAssertEqual(records.count, 2, "\(records)")
        for secret in [token, key, Self.slackToken] {
            XCTAssertFalse(run.output.contains(secret), "\(secret) in the output: \(run.output)")
            XCTAssertFalse(records.contains { $0.canonical.contains(secret) }, "\(secret) in the log: \(records)")
        }
        let refused = try XCTUnwrap(records.first { $0["args"]?["target"]?.stringValue == "webhook" })
        XCTAssertTrue(refused["args"]?["error"]?.stringValue?.contains("127.0.0.1") == true, "\(refused)")
        let redirected = try XCTUnwrap(records.first { $0["args"]?["target"]?.stringValue == "slack" })
        XCTAssertEqual(redirected["outcome"]?.stringValue, "failed", "\(redirected)")
        XCTAssertTrue(
            redirected["args"]?["error"]?.stringValue?.contains("HTTP 307: a redirect to") == true, "\(redirected)")
        let landed = try await received("/landed")
        XCTAssertTrue(landed.isEmpty, "the POST was sent again after the redirect: \(landed)")
    }

    /// The trace exporter's headers are credentials whatever their name: a collector's 307 to another origin
    /// gets none of them (nor the trace), and a percent-encoded value is masked in what a smoke script prints.
    func testTraceExportHeadersNeverFollowARedirectAndEncodedValuesAreMasked() async throws {
        try await world.createFunction("trace-redirect", versions: 2)
        let (teamKey, basic) = ("honeycombKey5f4e3d", "dXNlcjpwYXNzd29yZDE=")
        world.environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = "\(world.hostileURL)/redirect"
        world.environment["OTEL_EXPORTER_OTLP_HEADERS"] = "x-honeycomb-team=\(teamKey),Authorization=Basic%20\(basic)"
        let service = LambdaPromoteTests.lambdaService(function: "trace-redirect", steps: "          - { weight: 100 }")
            .replacingOccurrences(
                of: "- { name: invoke, invoke: { payload: '{\"ping\": true}' } }",
                with: "- { name: env, run: [\"sh\", \"-c\", \"echo \\\"$OTEL_EXPORTER_OTLP_HEADERS\\\" >&2; exit 1\"] }"
            )
        let config = try world.writeConfig(SampleConfig.inWorld(services: service))
        let run = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config)
        XCTAssertNotEqual(run.status, 0, run.output)
        XCTAssertTrue(
            run.output.contains("OTEL") || run.output.contains("***"), "the smoke test printed: \(run.output)")
        for secret in [teamKey, basic, "Basic%20\(basic)"] {
            XCTAssertFalse(run.output.contains(secret), "\(secret) in the output: \(run.output)")
        }
        XCTAssertTrue(run.output.contains("HTTP 307, a redirect to 127.0.0.1"), run.output)
        let exports = try await world.hostileRequests().filter {
            $0["path"]?.stringValue?.hasPrefix("/redirect/v1/traces") == true
        }
        XCTAssertFalse(exports.isEmpty, "the trace was never sent")
        XCTAssertEqual(
            Set(exports.map { $0["port"]?.doubleValue ?? 0 }).count, 1, "followed to another origin: \(exports)")
    }

    /// A receiver that never answers a rollback's notification: at `--timeout` the rollback, whose traffic is
    /// back, ends as it ended (exit 0, the cut-off named), not as "did not finish".
    func testARollbackWhoseTrafficIsBackIsNotReportedUnfinishedWhileAReceiverHangs() async throws {
        try await world.createFunction("notify-rollback", versions: 2)
        world.environment["SLACK_WEBHOOK_URL"] = "\(world.notifyURL)/hang/slack/\(Self.slackToken)"
        let service = LambdaPromoteTests.lambdaService(
            function: "notify-rollback", steps: "          - { weight: 100 }")
        let config = try world.writeConfig(
            SampleConfig.inWorld(services: service) + "\nnotify:\n  - { slack: \"${SLACK_WEBHOOK_URL}\" }\n")
        let promoted = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config)
        XCTAssertEqual(promoted.status, 0, promoted.output)

        let started = Date()
        let rollback = await world.shipctl(
            ["rollback", "--service", "api", "--env", "prod", "--timeout", "3s"], config: config)
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(rollback.status, 0, rollback.output)
        XCTAssertFalse(rollback.stderr.contains("did not finish"), rollback.stderr)
        XCTAssertTrue(
            rollback.stderr.contains(
                "the notifications and the trace export were still being sent at the 3s deadline and were cut off"),
            rollback.stderr)
        XCTAssertLessThan(elapsed, 10, "the rollback waited for the receiver: \(rollback.output)")
        let alias = try await world.alias("notify-rollback")
        XCTAssertEqual(alias.version, "1")
        XCTAssertTrue(alias.weights.isEmpty)
        let hung = try await received("/hang/slack")
        XCTAssertFalse(hung.isEmpty, "the rollback's notification was sent")
    }
}
