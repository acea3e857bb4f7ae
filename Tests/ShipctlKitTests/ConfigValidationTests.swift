import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

final class ConfigValidationTests: XCTestCase {
    static let valid = SampleConfig.valid

    func load(_ yaml: String, env: [String: String] = [:]) throws(ShipctlError) -> ShipctlConfig {
        try ConfigLoader(environment: env).parse(yaml: yaml, path: "shipctl.yaml")
    }

    func testTheValidExampleLoadsAndGetsAFinalFullStep() throws {
        let config = try load(Self.valid)
        let service = try XCTUnwrap(config.service(named: "api"))
        XCTAssertEqual(service.steps.map(\.weight), [10, 50, 100])
        XCTAssertEqual(service.steps[1].pause, .seconds(120))
        XCTAssertEqual(service.analysis.metrics.first?.max, 0.02)
    }

    /// The documented example configuration must load as written — including
    /// `{{env}}` unquoted inside a flow mapping, which plain YAML would reject.
    func testTheSpecExampleLoadsAsWritten() throws {
        let path = TestWorld.repositoryRoot.appendingPathComponent("examples/spec/shipctl.yaml").path
        let config = try ConfigLoader(environment: [:]).load(path: path)
        let service = try XCTUnwrap(config.service(named: "api"))
        let prod = try XCTUnwrap(config.environments["prod"])
        let flip = service.onFailure.flags.first?.filled(
            Placeholders.deployment(service: service, env: prod, canary: "2", stable: "1"))
        XCTAssertEqual(flip?.auditArgs["flag"]?.stringValue, "/micro-app/prod/MODEL_PROVIDER")
        XCTAssertEqual(service.terraform?.vars.first?.value, "dev")
        XCTAssertEqual(
            service.analysis.metrics.map(\.name), ["error-rate", "p95-latency", "cost-per-request", "lambda-errors"])
    }

    func testACloudRunServiceLoadsWithItsTarget() throws {
        let yaml = Self.valid.replacingOccurrences(of: "provider: lambda", with: "provider: cloudrun")
            .replacingOccurrences(
                of: "lambda: { function: micro-app-api, alias: live }",
                with: "cloudrun: { service: api, region: us-central1, project: my-proj }")
        let service = try XCTUnwrap(try load(yaml).service(named: "api"))
        XCTAssertEqual(service.provider, "cloudrun")
        let cloudrun = service.target as? CloudRunTarget
        XCTAssertEqual(cloudrun?.service, "api")
        XCTAssertEqual(cloudrun?.region, "us-central1")
        XCTAssertEqual(cloudrun?.project, "my-proj")
    }

    func testAPreviewBlockLoadsAndMustNamePerPullRequest() throws {
        let block = """
                preview:
                  terraform: { dir: infra, vars: { function_name: "app-pr-{{pr}}" } }
                  ttl: 24h
                  secrets:
                    - { name: "app/pr-{{pr}}/token", token_budget: 5000 }

            """
        let yaml = Self.valid.replacingOccurrences(of: "    strategy:\n", with: block + "    strategy:\n")
        let preview = try XCTUnwrap(try load(yaml).service(named: "api")?.preview)
        XCTAssertEqual(preview.ttl, .seconds(86_400))
        XCTAssertEqual(preview.secrets.first?.tokenBudget, 5000)
        XCTAssertEqual(preview.optOutLabel, "no-preview")

        let shared = yaml.replacingOccurrences(of: "app-pr-{{pr}}", with: "app-preview")
        XCTAssertThrowsError(try load(shared)) { error in
            XCTAssertTrue("\(error)".contains("services.api.preview.terraform.vars"), "\(error)")
        }
        let negative = yaml.replacingOccurrences(of: "token_budget: 5000", with: "token_budget: -5")
        XCTAssertThrowsError(try load(negative)) { error in
            XCTAssertTrue("\(error)".contains("services.api.preview.secrets[0].token_budget"), "\(error)")
        }
    }

    func testAStateURLLoadsWithItsPasswordHiddenAndBadOnesNameTheLine() throws {
        let withURL = Self.valid.replacingOccurrences(
            of: "version: 1\n",
            with:
                "version: 1\nstate: { url: \"postgres://deploy:${DB_PASS}@db.internal:6432/shipctl?sslmode=verify-full\" }\n"
        )
        let config = try load(withURL, env: ["DB_PASS": "hunter2-long-password"])
        XCTAssertEqual(config.stateURL?.host, "db.internal")
        XCTAssertEqual(config.stateURL?.port, 6432)
        XCTAssertEqual(config.stateURL?.password, "hunter2-long-password")
        XCTAssertEqual(config.stateURL?.tls, .verifyFull)
        XCTAssertEqual(config.stateURL?.description, "postgres://deploy@db.internal:6432/shipctl?sslmode=verify-full")
        XCTAssertTrue(
            config.secrets.contains("hunter2-long-password"),
            "a password in the URL is a secret whatever its variable is called")

        let bad: [(String, String)] = [
            ("mysql://deploy@db/shipctl", "must start with postgres://"),
            ("postgres:///shipctl", "names no host"),
            ("postgres://db.internal/shipctl", "names no user"),
            ("postgres://deploy@db/shipctl?sslmode=always", "sslmode must be one of"),
            ("postgres://deploy@db/shipctl?application_name=x", "unknown URL parameter"),
            ("not a url", "expected a URL like postgres://"),
        ]
        for (url, expected) in bad {
            let yaml = Self.valid.replacingOccurrences(
                of: "version: 1\n", with: "version: 1\nstate: { url: \"\(url)\" }\n")
            XCTAssertThrowsError(try load(yaml), url) { error in
                XCTAssertTrue(
                    "\(error)".contains("shipctl.yaml:2:") && "\(error)".contains("state.url")
                        && "\(error)".contains(expected), "\(url): \(error)")
            }
        }
    }

    func testPresetsUseCodeDeployNames() {
        XCTAssertEqual(
            StrategyPreset.steps(named: "Canary10Percent5Minutes"),
            [CanaryStep(weight: 10, pause: .seconds(300)), CanaryStep(weight: 100, pause: .zero)])
        XCTAssertEqual(StrategyPreset.steps(named: "Linear10PercentEvery1Minute")?.count, 10)
        XCTAssertEqual(StrategyPreset.steps(named: "AllAtOnce"), [CanaryStep(weight: 100, pause: .zero)])
        XCTAssertNil(StrategyPreset.steps(named: "Canary200Percent5Minutes"))
    }

    func testEnvironmentVariablesAndDefaultsAreExpandedAndSecretsRemembered() throws {
        let yaml = Self.valid.replacingOccurrences(of: "function: micro-app-api", with: "function: \"${FN:-fallback}\"")
            .replacingOccurrences(of: "http://127.0.0.1:9090", with: "\"http://${PROM_HOST}:9090\"")
        let config = try load(yaml, env: ["PROM_HOST": "prom.internal", "API_TOKEN": "x"])
        XCTAssertEqual((config.service(named: "api")?.target as? LambdaTarget)?.function, "fallback")
        XCTAssertEqual(config.environments["prod"]?.metricEndpoints["prometheus"], "http://prom.internal:9090")
    }

    /// Acceptance: ten malformed configs, each rejected with the line and key named.
    func testMalformedConfigsNameTheLineAndKey() {
        let cases: [(name: String, from: String, to: String, line: Int, key: String)] = [
            ("wrong type for weight", "weight: 10,", "weight: ten,", 10, "services.api.strategy.steps[0].weight"),
            (
                "unknown key", "    provider: lambda", "    provider: lambda\n    replicas: 3", 7,
                "services.api.replicas"
            ),
            ("missing services", "services:\n  api:", "servicez:\n  api:", 1, "services"),
            ("bad duration", "pause: 60s", "pause: sixty", 10, "services.api.strategy.steps[0].pause"),
            ("weight over 100", "weight: 50,", "weight: 150,", 11, "services.api.strategy.steps[1].weight"),
            ("negative duration", "interval: 10s", "interval: -10s", 13, "services.api.analysis.interval"),
            (
                "list where a mapping belongs", "lambda: { function: micro-app-api, alias: live }",
                "lambda: [micro-app-api]", 7, "services.api.lambda"
            ),
            ("unknown provider", "provider: lambda", "provider: azure", 6, "services.api.provider"),
            (
                "shell characters in a name", "function: micro-app-api", "function: \"api; rm -rf /\"", 7,
                "services.api.lambda.function"
            ),
            (
                "unset environment variable", "region: us-east-1", "region: \"${NOPE_REGION}\"", 3,
                "environments.prod.region"
            ),
            ("threshold of the wrong type", "max: 0.02", "max: low", 17, "services.api.analysis.metrics[0].max"),
            ("decreasing weights", "weight: 50,", "weight: 5,", 11, "services.api.strategy.steps[1].weight"),
            (
                "cloudrun service without its block", "provider: lambda", "provider: cloudrun", 6,
                "services.api.cloudrun"
            ),
            (
                "cloudrun block without a region", "    lambda: { function: micro-app-api, alias: live }",
                "    cloudrun: { service: api, project: p }", 7, "services.api.cloudrun.region"
            ),
            (
                "cloudrun service name with capitals", "    lambda: { function: micro-app-api, alias: live }",
                "    cloudrun: { service: My_Api, region: us-central1 }", 7, "services.api.cloudrun.service"
            ),
        ]
        for example in cases {
            let yaml = Self.valid.replacingOccurrences(of: example.from, with: example.to)
            XCTAssertNotEqual(yaml, Self.valid, example.name)
            do {
                _ = try load(yaml)
                XCTFail("\(example.name): accepted")
            } catch {
                XCTAssertEqual(error.exitCode, 2, example.name)
                guard case .configuration(let issues) = error else {
                    XCTFail("\(example.name): \(error)")
                    continue
                }
                XCTAssertTrue(
                    issues.contains { $0.line == example.line && $0.key == example.key },
                    "\(example.name): expected line \(example.line) key \(example.key), got \(issues.map(\.description))"
                )
                XCTAssertTrue(error.description.contains("shipctl.yaml:\(example.line):"), error.description)
            }
        }
    }

    func testBrokenYAMLReportsItsLine() {
        do {
            _ = try load("version: 1\nservices:\n  api: {provider: lambda\n")
            XCTFail("accepted")
        } catch {
            guard case .configuration(let issues) = error else { return XCTFail("\(error)") }
            XCTAssertGreaterThan(issues.first?.line ?? 0, 0, "\(issues)")
        }
    }

    func testDurations() {
        XCTAssertEqual(DurationParser.parse("1m30s"), .seconds(90))
        XCTAssertEqual(DurationParser.parse("500ms"), .milliseconds(500))
        XCTAssertNil(DurationParser.parse("10"))
        XCTAssertNil(DurationParser.parse("-5s"))
        XCTAssertNil(DurationParser.parse("5 parsecs"))
    }
}
