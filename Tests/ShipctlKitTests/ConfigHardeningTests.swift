import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// Configuration inputs found to misbehave when attacked: each is refused (or
/// expanded) with the file, line and column of the place to fix.
final class ConfigHardeningTests: XCTestCase {
    static let valid = SampleConfig.valid

    func issues(_ yaml: String, env: [String: String] = [:], redactor: Redactor? = nil) -> [ConfigIssue] {
        SampleConfig.issues(yaml, environment: env, redactor: redactor)
    }

    func testAnAliasBombIsRefusedBeforeItIsExpanded() {
        // 550 KB of anchors, each level aliasing the one before: ~10^27 nodes if expanded.
        var lines = [
            "version: 1", "environments:", "  prod: { region: us-east-1 }",
            "a0: &a0 [\(Array(repeating: "lol", count: 10).joined(separator: ", "))]",
        ]
        for level in 1...30 {
            lines.append(
                "a\(level): &a\(level) [\(Array(repeating: "*a\(level - 1)", count: 3000).joined(separator: ", "))]")
        }
        lines.append("services: { api: { provider: lambda, lambda: { function: f }, smoke: *a30 } }")
        let yaml = lines.joined(separator: "\n")
        XCTAssertGreaterThan(yaml.utf8.count, 500_000)
        let found = issues(yaml)
        XCTAssertEqual(found.count, 1, "\(found)")
        XCTAssertEqual(found.first?.line, 5, "the alias past the budget is on the first aliasing line")
        XCTAssertTrue(found.first?.message.contains("more than 200 YAML aliases") ?? false, "\(found)")
    }

    func testAFewAliasesStillWorkAndATreeThatExpandsTooFarIsRefused() throws {
        let shared =
            Self.valid.replacingOccurrences(
                of: "    strategy:\n      steps:", with: "    strategy:\n      steps: &steps")
            + "\n  web:\n    provider: lambda\n    lambda: { function: micro-app-web }\n    strategy: { steps: *steps }"
        let config = try ConfigLoader(environment: [:]).parse(yaml: shared, path: "shipctl.yaml")
        XCTAssertEqual(config.service(named: "web")?.steps.map(\.weight), [10, 50, 100])

        // 12 levels of 9 aliases each stays under the alias count but expands to 9^12 nodes.
        var lines = [
            "version: 1", "environments: { prod: { region: us-east-1 } }", "x0: &x0 [a, b, c, d, e, f, g, h, i]",
        ]
        for level in 1...12 {
            lines.append(
                "x\(level): &x\(level) [\(Array(repeating: "*x\(level - 1)", count: 9).joined(separator: ", "))]")
        }
        lines.append("services: { api: { provider: lambda, lambda: { function: f } } }")
        let found = issues(lines.joined(separator: "\n"))
        XCTAssertTrue(found.contains { $0.message.contains("expands to more than 100000 YAML nodes") }, "\(found)")
    }

    func testNestedDefaultsExpandAndSecretDefaultsAreLearned() throws {
        let yaml = Self.valid.replacingOccurrences(
            of: "function: micro-app-api", with: "function: \"${FN:-${FALLBACK_FN:-micro-app-x}}\""
        )
        .replacingOccurrences(of: "region: us-east-1", with: "region: \"${REGION:-${DEFAULT_REGION}}\"")
        let redactor = Redactor(secrets: [])
        let config = try ConfigLoader(environment: ["DEFAULT_REGION": "eu-west-1"]).parse(
            yaml: yaml, path: "shipctl.yaml", teaching: redactor)
        XCTAssertEqual((config.service(named: "api")?.target as? LambdaTarget)?.function, "micro-app-x")
        XCTAssertEqual(config.environments["prod"]?.region, "eu-west-1")

        let withSecret =
            Self.valid
            + "\n    on_failure:\n      flags:\n        - { ssm: /p/x, value: \"${FLAG_TOKEN:-defaultSecretValue42}\" }"
        _ = try ConfigLoader(environment: ["FLAG_TOKEN": "liveSecretValue77"]).parse(
            yaml: withSecret, path: "shipctl.yaml", teaching: redactor)
        XCTAssertEqual(
            redactor.redact("defaultSecretValue42 and liveSecretValue77"), "*** and ***",
            "both the live value and the written default are secrets")

        let unset = issues(
            Self.valid.replacingOccurrences(of: "region: us-east-1", with: "region: \"${REGION:-${NOT_SET}}\""))
        XCTAssertTrue(unset.contains { $0.line == 3 && $0.message.contains("`NOT_SET` is not set") }, "\(unset)")
        let unclosed = issues(
            Self.valid.replacingOccurrences(of: "region: us-east-1", with: "region: \"${REGION:-${B}\""))
        XCTAssertTrue(unclosed.contains { $0.line == 3 && $0.message.contains("malformed") }, "\(unclosed)")
    }

    func testSecretsTooShortToMaskAreRefused() {
        let yaml = Self.valid + "\n    on_failure:\n      flags:\n        - { ssm: /p/x, value: \"${FLAG_TOKEN}\" }"
        let found = issues(yaml, env: ["FLAG_TOKEN": "abc"])
        XCTAssertTrue(found.contains { $0.line == 20 && $0.message.contains("shorter than 4 characters") }, "\(found)")
        XCTAssertFalse(found.map(\.description).joined().contains("abc"), "the value itself is never shown")
        XCTAssertEqual(issues(yaml, env: ["FLAG_TOKEN": "abcd"]), [])
    }

    func testAMessageQuotingAValueHidesTheDefaultOfASecretVariable() {
        let yaml = Self.valid.replacingOccurrences(
            of: "interval: 10s", with: "interval: \"${SOME_TOKEN:-hunter2hunter2}\"")
        let found = issues(yaml).map(\.description).joined(separator: "\n")
        XCTAssertFalse(found.contains("hunter2"), found)
        XCTAssertTrue(found.contains("shipctl.yaml:13:"), found)
    }

    func testPlaceholdersAreRefusedInPlainNamesAndAllowedInPaths() {
        let cases: [(from: String, to: String, line: Int, key: String)] = [
            ("  api:", "  api{{env}}:", 5, "services.api{{env}}"),
            ("function: micro-app-api", "function: \"micro-{{canary}}\"", 7, "services.api.lambda.function"),
        ]
        for example in cases {
            let found = issues(Self.valid.replacingOccurrences(of: example.from, with: example.to))
            XCTAssertTrue(
                found.contains {
                    $0.line == example.line && $0.key == example.key
                        && $0.message.contains("placeholders are not filled in here")
                }, "\(example): \(found)")
        }
        let stateDir = issues(
            "version: 1\nstate: { dir: \".shipctl-{{env}}\" }\n" + Self.valid.dropFirst("version: 1\n".count))
        XCTAssertTrue(stateDir.contains { $0.line == 2 && $0.key == "state.dir" }, "\(stateDir)")
        let program = issues(Self.valid + "\n    smoke:\n      - { name: c, run: [\"./{{canary}}.sh\"] }")
        XCTAssertTrue(program.contains { $0.line == 19 && $0.key == "services.api.smoke[0].run[0]" }, "\(program)")
        let allowed =
            Self.valid
            + "\n    terraform: { dir: \"infra/{{env}}\" }\n    on_failure:\n      flags:\n        - { ssm: \"/app/{{env}}/MODEL\", value: small }"
        XCTAssertEqual(issues(allowed), [])
    }

    func testCloudWatchDimensionNamesAreNames() {
        for name in ["--endpoint-url", "\"A,Name=B\"", "\"a b\""] {
            let yaml = Self.valid.replacingOccurrences(
                of: "      metrics:\n",
                with:
                    "      metrics:\n        - { name: cw, cloudwatch: { namespace: AWS/Lambda, metric: Errors, dimensions: { \(name): x } }, max: 0 }\n"
            )
            let found = issues(yaml)
            XCTAssertTrue(
                found.contains {
                    $0.line == 15 && $0.key.hasPrefix("services.api.analysis.metrics[0].cloudwatch.dimensions.")
                        && $0.message.contains("not a valid name")
                }, "\(name): \(found)")
        }
    }

    func testARepeatedKeyIsReportedWhereItIsRepeated() {
        let found = issues(
            Self.valid.replacingOccurrences(
                of: "    provider: lambda\n", with: "    provider: lambda\n    lambda: { function: other }\n"))
        XCTAssertEqual(found.first?.line, 8, "\(found)")
        XCTAssertEqual(found.first?.column, 5, "\(found)")
        XCTAssertTrue(found.first?.message.contains("first at line 7") ?? false, "\(found)")
    }

    func testBytesThatAreNotUTF8AndReservedCharactersNameTheirLine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("utf8-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("shipctl.yaml").path
        var bytes = Array(Self.valid.utf8)
        let at = Self.valid.utf8.distance(
            from: Self.valid.utf8.startIndex,
            to: Self.valid.range(of: "micro-app-api")!.lowerBound.samePosition(in: Self.valid.utf8)!)
        bytes.insert(0xFF, at: at)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        do {
            _ = try ConfigLoader(environment: [:]).load(path: path)
            XCTFail("accepted bytes that are not UTF-8")
        } catch {
            XCTAssertTrue(error.description.hasPrefix("\(path):7:"), error.description)
            XCTAssertTrue(error.description.contains("0xFF is not UTF-8"), error.description)
        }
        let reserved = issues(Self.valid.replacingOccurrences(of: "alias: live", with: "alias: li\u{E001}ve"))
        XCTAssertEqual(reserved.first.map { "\($0.line):\($0.column)" }, "7:49", "\(reserved)")
    }
}
