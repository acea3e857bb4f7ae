import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// Flag entries of every kind as `on_failure.flags` takes them: the SPEC's
/// Unleash and LaunchDarkly lines load as written, tokens stay out of what is
/// recorded, and a wrong entry is reported at its line with what to write.
final class FlagConfigTests: XCTestCase {
    private func config(_ flags: String) -> String {
        SampleConfig.withFlags(flags)
    }

    private let environment = ["UNLEASH_TOKEN": "unleash-secret-token-1", "LD_TOKEN": "ld-secret-token-2"]

    private func issues(_ flags: String) -> [ConfigIssue] {
        SampleConfig.issues(config(flags), environment: environment)
    }

    func testTheSpecEntriesOfEveryKindLoadAndRecordNoToken() throws {
        let loaded = try ConfigLoader(environment: environment).parse(
            yaml: config(
                """
                        - { ssm: /micro-app/{{env}}/MODEL_PROVIDER, value: small-llm }
                        - { unleash: { url: "https://unleash.example.com", project: default, feature: new-recs, environment: production, token: "${UNLEASH_TOKEN}" }, enabled: false }
                        - { launchdarkly: { project: default, flag: new-recs, environment: production, token: "${LD_TOKEN}" }, enabled: false }
                        - { file: flags/flagd.json, flag: new-recs, variant: "off" }
                """), path: "shipctl.yaml")
        let service = try XCTUnwrap(loaded.service(named: "api"))
        let prod = try XCTUnwrap(loaded.environments["prod"])
        let flips = service.onFailure.flags.map {
            $0.filled(Placeholders.deployment(service: service, env: prod, canary: "2", stable: "1"))
        }
        XCTAssertEqual(
            flips.map(\.displayName),
            [
                "ssm /micro-app/prod/MODEL_PROVIDER=small-llm", "unleash new-recs=false",
                "launchdarkly new-recs=false", "file new-recs=off",
            ])
        XCTAssertEqual(
            flips[1].auditArgs,
            [
                "store": "unleash", "flag": "new-recs", "value": "false", "project": "default",
                "environment": "production",
            ])
        let recorded = flips.map { JSONValue.object($0.auditArgs).canonical + $0.manualInstruction }.joined()
        XCTAssertFalse(recorded.contains("secret-token"), recorded)
        XCTAssertEqual((flips[2].target as? LaunchDarklyFlag)?.url, "https://app.launchdarkly.com")
        XCTAssertEqual(try flips[2].setting("small").value, "small")
        XCTAssertThrowsError(try flips[1].setting("small"))
    }

    func testATokenOrURLPasswordIsSecretByItsPlaceAndTooShortOneIsRefused() {
        let redactor = Redactor(secrets: [])
        let loaded = SampleConfig.issues(
            config(
                """
                        - { unleash: { url: "https://ops:url-pass-61@unleash.example.com", project: default, feature: a, environment: production, token: written-token-5 }, enabled: false }
                """), redactor: redactor)
        XCTAssertEqual(loaded, [])
        XCTAssertEqual(redactor.redact("written-token-5 url-pass-61"), "*** ***")

        let short = issues(
            """
                    - { unleash: { url: "https://unleash.example.com", project: default, feature: a, environment: production, token: abc }, enabled: false }
                    - { unleash: { url: "https://ops:pw@unleash.example.com", project: default, feature: b, environment: production, token: "${UNLEASH_TOKEN}" }, enabled: false }
            """)
        XCTAssertEqual(short.map(\.line), [10, 11])
        XCTAssertEqual(
            short.map(\.key),
            ["services.api.on_failure.flags[0].unleash.token", "services.api.on_failure.flags[1].unleash.url"])
        XCTAssertTrue(short.allSatisfy { $0.message.contains("shorter than 4 characters") }, "\(short)")
    }

    func testAWrongEntryIsReportedAtItsLineWithWhatToWrite() {
        let cases: [(entry: String, message: String)] = [
            (
                "{ unleash: { url: \"https://u.example.com\", feature: f, environment: production }, enabled: false }",
                "required key `token` is missing"
            ),
            (
                "{ unleash: { url: \"https://u.example.com\", feature: f, environment: production, token: \"${UNLEASH_TOKEN}\" } }",
                "needs `enabled: true` or `enabled: false`"
            ),
            (
                "{ unleash: { url: \"https://u.example.com\", feature: f, environment: production, token: \"${UNLEASH_TOKEN}\" }, variant: \"off\" }",
                "`variant` does not go with `unleash`"
            ),
            (
                "{ launchdarkly: { project: p, flag: f, environment: production, token: \"${LD_TOKEN}\" }, enabled: false, variation: small }",
                "give `enabled` or `variation`, not both"
            ),
            (
                "{ launchdarkly: { project: p, flag: f, environment: production, token: \"${LD_TOKEN}\", url: \"ftp://x\" }, enabled: false }",
                "expected an http:// or https:// URL"
            ),
            ("{ ssm: /a/b, value: x, unleash: { } }", "give one flag store per entry, not ssm and unleash"),
            ("{ consul: x }", "unknown key `consul`"),
            ("{ enabled: false }", "give a flag store: `{ ssm: /path/NAME, value: V }` or"),
        ]
        for (entry, message) in cases {
            let found = issues("        - \(entry)")
            XCTAssertTrue(
                found.contains { $0.message.contains(message) && $0.line == 10 },
                "\(entry): \(found.map { "\($0.line): \($0.message)" })")
        }
    }
}
