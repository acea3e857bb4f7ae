import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// `notify:` at the top level and in a service block: what loads, and what each mistake says.
final class NotifyConfigTests: XCTestCase {
    func load(_ yaml: String, env: [String: String] = [:]) throws(ShipctlError) -> ShipctlConfig {
        try ConfigLoader(environment: env).parse(yaml: yaml, path: "shipctl.yaml")
    }

    static func withNotify(top: String, service: String = "") -> String {
        SampleConfig.valid.replacingOccurrences(of: "version: 1\n", with: "version: 1\nnotify:\n\(top)\n")
            + (service.isEmpty ? "" : "\n    notify:\n\(service)")
    }

    func testTargetsLoadWithTheirOutcomesAndTheSlackURLIsASecret() throws {
        let slack = "https://hooks.slack.com/services/T000/B000/abcdefghijklmnop"
        let config = try load(
            Self.withNotify(
                top: "  - { slack: \"${SLACK_WEBHOOK_URL}\" }",
                service:
                    "      - { webhook: \"https://hooks.example.com/shipctl\", secret: \"${HOOK_SECRET}\", on: [succeeded, rolled-back] }\n"
                    + "      - { slack: \"${SLACK_WEBHOOK_URL}\" }"),
            env: ["SLACK_WEBHOOK_URL": slack, "HOOK_SECRET": "a-long-webhook-secret"])
        let targets = config.notifyTargets(for: "api")
        XCTAssertEqual(
            targets.map(\.name), ["slack", "webhook"], "the top-level list, then the service's; each URL once")
        XCTAssertEqual(targets.first?.on, [.rolledBack, .failed, .interrupted])
        XCTAssertEqual(targets.last?.on, [.succeeded, .rolledBack])
        XCTAssertEqual(targets.last?.kind, .webhook(secret: "a-long-webhook-secret"))
        XCTAssertTrue(config.secrets.contains(slack), "whoever has a Slack webhook URL can post to the channel")
        XCTAssertTrue(config.secrets.contains("a-long-webhook-secret"))
    }

    func testEachMistakeNamesItsLineAndTheFix() {
        let cases: [(String, String)] = [
            ("  - { webhook: \"https://hooks.example.com/x\" }", "a webhook needs `secret:`"),
            ("  - { slack: \"https://hooks.slack.com/x\", webhook: \"https://e.com/y\" }", "one target per entry"),
            ("  - { secret: \"a-long-webhook-secret\" }", "give `slack: <incoming webhook URL>`"),
            ("  - { slack: \"hooks.slack.com/x\" }", "expected an http:// or https:// URL"),
            ("  - { slack: \"https://hooks.slack.com/x\", on: [rolled-back, faild] }", "(did you mean `failed`?)"),
            ("  - { slack: \"https://hooks.slack.com/x\", on: [] }", "list at least one of: succeeded, rolled-back"),
            ("  - { slack: \"https://hooks.slack.com/x\", channel: \"#ops\" }", "channel"),
            ("  slack: \"https://hooks.slack.com/x\"", "expected a list"),
        ]
        for (entry, expected) in cases {
            XCTAssertThrowsError(try load(Self.withNotify(top: entry)), entry) { error in
                XCTAssertTrue(
                    "\(error)".contains("shipctl.yaml:3:") && "\(error)".contains(expected), "\(entry): \(error)")
            }
        }
    }
}
