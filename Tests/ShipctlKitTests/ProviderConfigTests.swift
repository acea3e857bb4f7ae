import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// Services of every provider kind as `services.NAME` takes them: each kind
/// parses its own block, gives `{{function}}` and `{{alias}}`, and makes the
/// traffic provider for its platform; a wrong service is reported at its line.
final class ProviderConfigTests: XCTestCase {
    private func config(_ service: String) -> String {
        """
        version: 1
        environments:
          prod: { region: us-east-1 }
        services:
          api:
        \(service)
            smoke:
              - { name: echo, run: ["/bin/echo", "{{function}}", "{{alias}}"] }
        """
    }

    func testEveryKindLoadsGivesItsPlaceholdersAndMakesItsProvider() throws {
        let blocks = [
            "    provider: lambda\n    lambda: { function: micro-app-api, alias: live }",
            "    provider: cloudrun\n    cloudrun: { service: api-svc, region: us-central1, project: my-proj }",
        ]
        var seen: [String] = []
        for block in blocks {
            let loaded = try ConfigLoader(environment: [:]).parse(yaml: config(block), path: "shipctl.yaml")
            let service = try XCTUnwrap(loaded.service(named: "api"))
            let prod = try XCTUnwrap(loaded.environments["prod"])
            let placeholders = Placeholders.deployment(service: service, env: prod, canary: "2", stable: "1")
            let dependencies = Dependencies(
                runner: RecordingProcessRunner([]),
                http: ScriptedHTTPClient { _, _ in HTTPResponse(status: 500, body: Data()) },
                store: InMemoryStateStore(),
                reporter: Reporter(mode: .human, redactor: Redactor(secrets: []), out: { _ in }, err: { _ in }))
            let provider = ServiceParts.provider(for: service, env: prod, config: loaded, dependencies: dependencies)
            seen.append("\(service.provider): \(placeholders.fill("{{function}}/{{alias}}")) → \(provider.target)")
        }
        XCTAssertEqual(
            seen,
            [
                "lambda: micro-app-api/live → lambda micro-app-api:live",
                "cloudrun: api-svc/ → cloudrun api-svc (us-central1)",
            ])
    }

    func testAWrongServiceIsReportedAtItsLineWithWhatToWrite() {
        let kinds = ProviderKinds.all.map { $0.kind }.joined(separator: ", ")
        let cases: [(service: String, line: Int, message: String)] = [
            ("    provider: ecs\n    lambda: { function: f }", 6, "expected one of: \(kinds), got `ecs`"),
            ("    provider: lambda", 6, "a lambda service needs `lambda: { function: NAME, alias: live }`"),
            (
                "    provider: cloudrun\n    lambda: { function: f }\n    cloudrun: { service: s, region: r }", 7,
                "`lambda` does not apply to a service with `provider: cloudrun`"
            ),
            (
                "    provider: cloudrun\n    cloudrun: { service: Api_1, region: us-central1 }", 7,
                "`Api_1` is not a Cloud Run service name"
            ),
            (
                "    provider: cloudrun\n    cloudrun: { service: api, region: us-central1, project: My }", 7,
                "`My` is not a Cloud Run project name"
            ),
            ("    provider: cloudrun\n    cloudrun: { service: api }", 7, "required key `region` is missing"),
            ("    provider: lambda\n    lambda: { function: \"f;rm\" }", 7, "`f;rm` is not a valid name"),
            ("    provider: lambda\n    lambda: { function: f, qualifier: x }", 7, "unknown key `qualifier`"),
        ]
        for (service, line, message) in cases {
            let found = SampleConfig.issues(config(service))
            XCTAssertTrue(
                found.contains { $0.message.contains(message) && $0.line == line },
                "\(service): \(found.map { "\($0.line): \($0.key): \($0.message)" })")
        }
    }
}
