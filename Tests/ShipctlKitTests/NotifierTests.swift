import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// What the notifier sends, read off the journal of an in-process promote: the exact Slack message
/// people read, the webhook event, and what becomes of each delivery.
final class NotifierTests: XCTestCase {
    static let environment = [
        "GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/app", "GITHUB_RUN_ID": "123",
    ]

    /// Promotes `api` to version 2 against `samples`, with `notify` as the top-level targets and `http` as
    /// their receiver; returns the world and the error the promote ended with.
    func promote(
        samples: [ScriptedMetricSource.Sample], notify: String,
        http: ScriptedHTTPClient, tune: (inout Notifier) -> Void = { _ in }
    ) async throws -> (CanaryEngineTests.World, ShipctlError?) {
        let yaml = """
            version: 1
            environments:
              prod: { region: us-east-1, prometheus: "http://prometheus.invalid:9090" }
            notify:
            \(notify)
            services:
            \(CanaryEngineTests.service("api", steps: "{ weight: 10, pause: 8s }, { weight: 100 }"))
            """
        let config = try ConfigLoader(environment: [:]).parse(yaml: yaml, path: "/nonexistent/shipctl.yaml")
        var world = CanaryEngineTests.World(services: ["api"])
        world.samples = samples
        var dependencies = world.dependencies()
        dependencies.actor = Actor(name: "alice", run: "123/1")
        var notifier = try XCTUnwrap(Notifier(config: config, http: http, environment: Self.environment))
        notifier.firstPause = .milliseconds(1)
        tune(&notifier)
        dependencies.notifier = notifier
        let service = try XCTUnwrap(config.service(named: "api"))
        let env = try XCTUnwrap(config.environments["prod"])
        do {
            _ = try await CanaryEngine(config: config, service: service, env: env, dependencies: dependencies)
                .promote(PromoteOptions(version: "2")).succeeded()
            return (world, nil)
        } catch {
            return (world, error)
        }
    }

    func testARevertedCanaryTellsSlackWhatFailedWhoRanItAndWhere() async throws {
        let http = ScriptedHTTPClient { _, _ in HTTPResponse(status: 200, body: Data("ok".utf8)) }
        let (world, error) = try await promote(
            samples: CanaryEngineTests.samples(bad: { _ in true }),
            notify: "  - { slack: \"https://hooks.slack.com/services/T000/B000/abcdefghijklmnop\" }", http: http)
        guard case .gatesFailed? = error else {
            return XCTFail("expected the gate to fail: \(String(describing: error))")
        }

        XCTAssertEqual(http.requests.count, 1)
        let request = try XCTUnwrap(http.requests.first)
        XCTAssertEqual(request.method, "POST")
        XCTAssertEqual(request.url.absoluteString, "https://hooks.slack.com/services/T000/B000/abcdefghijklmnop")
        XCTAssertEqual(request.headers["Content-Type"], "application/json")
        let finish = try XCTUnwrap(world.store.all.last { $0.action == AuditAction.deploymentFinish })
        let reason = try XCTUnwrap(finish.args["reason"]?.stringValue)
        XCTAssertEqual(
            JSONValue.parse(request.body)?["text"]?.stringValue,
            """
            :rotating_light: *api* in *prod*: version 2 was rolled back; version 1 serves all traffic
            *Metric:* error-rate = 0.5 (threshold: max 0.02)
            *Why:* \(reason)
            *By:* alice, run 123/1 · <https://github.com/acme/app/actions/runs/123|open the run>
            deployment `\(finish.deployment)`
            """)

        let notified = try XCTUnwrap(world.store.all.last { $0.action == AuditAction.notify })
        XCTAssertEqual(notified.outcome, "sent")
        XCTAssertEqual(notified.args["host"]?.stringValue, "hooks.slack.com")
        XCTAssertEqual(notified.args["on"]?.stringValue, "rolled-back")
        XCTAssertGreaterThan(notified.seq, finish.seq, "the notification follows the end of the deployment")
        let verification = try await world.store.verify()
        XCTAssertTrue(verification.isValid)
    }

    func testAGoodCanaryNotifiesOnlyTheTargetsThatAskedForSuccess() async throws {
        let http = ScriptedHTTPClient { _, _ in HTTPResponse(status: 204, body: Data()) }
        let (world, error) = try await promote(
            samples: CanaryEngineTests.samples(),
            notify: """
                  - { slack: "https://hooks.slack.com/services/T000/B000/abcdefghijklmnop" }
                  - { webhook: "https://hooks.example.com/shipctl", secret: "a-long-webhook-secret", on: [succeeded] }
                """, http: http)
        XCTAssertNil(error)
        XCTAssertEqual(http.requests.map(\.url.host), ["hooks.example.com"], "Slack listens for failures only")
        let event = try XCTUnwrap(JSONValue.parse(http.requests.first?.body ?? ""))
        XCTAssertEqual(event["outcome"]?.stringValue, "succeeded")
        XCTAssertEqual(event["version"]?.stringValue, "2")
        XCTAssertEqual(event["stable"]?.stringValue, "1")
        XCTAssertEqual(event["metric"], .null)
        XCTAssertEqual(event["run_url"]?.stringValue, "https://github.com/acme/app/actions/runs/123")
        XCTAssertEqual(world.store.all.filter { $0.action == AuditAction.notify }.count, 1)
    }

    func testBusyReceiversAreTriedAgainUpToTheLimitAndRefusalsAreNot() async throws {
        let http = ScriptedHTTPClient { request, _ in
            HTTPResponse(status: request.url.host == "busy.example.com" ? 503 : 404, body: Data("no".utf8))
        }
        let (world, _) = try await promote(
            samples: CanaryEngineTests.samples(bad: { _ in true }),
            notify: """
                  - { webhook: "https://busy.example.com/hook", secret: "a-long-webhook-secret" }
                  - { webhook: "https://gone.example.com/hook", secret: "a-long-webhook-secret" }
                """, http: http)
        XCTAssertEqual(http.requests.filter { $0.url.host == "busy.example.com" }.count, 3)
        XCTAssertEqual(http.requests.filter { $0.url.host == "gone.example.com" }.count, 1)
        let busy = http.requests.filter { $0.url.host == "busy.example.com" }
        XCTAssertEqual(
            Set(busy.map { $0.headers["X-Shipctl-Delivery"] ?? "" }).count, 1, "one delivery id on every try")
        let records = world.store.all.filter { $0.action == AuditAction.notify }
        XCTAssertEqual(records.map(\.outcome), ["failed", "failed"])
        XCTAssertEqual(records.map { $0.args["tries"]?.doubleValue }, [3, 1])
        XCTAssertEqual(records.first?.args["error"]?.stringValue, "HTTP 503: no")
    }
}
