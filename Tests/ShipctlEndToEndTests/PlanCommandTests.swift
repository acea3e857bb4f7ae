import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// `shipctl plan` against the repository's `infra/` with real terraform and
/// moto: the counts, the version source and the steps, and nothing changed —
/// not the alias, not the terraform state, not the audit log.
final class PlanCommandTests: XCTestCase {
    /// The repository's `infra/` (a copy) behind service `api`; `FUNCTION_NAME` may rename the function.
    static func config(world: TestWorld, infra: URL) throws -> String {
        try world.writeConfig(
            SampleConfig.inWorld(
                services: """
                      api:
                        provider: lambda
                        lambda: { function: micro-app-api, alias: live }
                        terraform:
                          dir: \(infra.path)
                          vars: { git_sha: "${GIT_SHA:-dev}", aws_endpoint: "${AWS_ENDPOINT_URL:-}", env: "{{env}}", function_name: "${FUNCTION_NAME:-micro-app-api}" }
                          version_output: function_version
                        strategy:
                          steps:
                            - { weight: 25, pause: 2s }
                            - { weight: 100 }
                        smoke:
                          - { name: invoke, invoke: { payload: '{"ping": true}' } }
                        on_failure:
                          flags:
                            - { ssm: "/micro-app/{{env}}/MODEL_PROVIDER", value: small-llm }
                    """, prometheus: false))
    }

    func testPlanShowsTheTerraformChangesAndStepsAndChangesNothing() async throws {
        let world = try await TestWorld(prometheus: false)
        addTeardownBlock { await world.shutdown() }
        let infra = try world.copyOfInfra()
        let config = try Self.config(world: world, infra: infra)

        let fresh = await world.shipctl(
            ["plan", "--service", "api", "--env", "prod"], config: config, timeout: .seconds(300))
        XCTAssertEqual(fresh.status, 0, fresh.output)
        let lines = fresh.stdout.split(separator: "\n").map(String.init)
        // The function does not exist before the first apply: the live split cannot be read yet.
        let liveLine = lines.first { $0.hasPrefix("live now: ") } ?? ""
        XCTAssertTrue(
            liveLine.hasPrefix("live now: unreadable (expected: terraform creates resources first) — "), liveLine)
        XCTAssertTrue(liveLine.contains("micro-app-api"), "the cause is kept whole: \(liveLine)")
        let terraformLine: String = "terraform in " + infra.path + ": 4 to add, 0 to change, 0 to destroy, 0 to replace"
        let expected: [String] = [
            "plan for api/prod (nothing changed, no lock taken)",
            terraformLine,
            "version: the terraform output `function_version` after apply",
            liveLine,
            "steps: 25% for 2s → 100%",
            "smoke before traffic and at each step: invoke",
            "gates: none (each step only waits its pause)",
            "on failure: revert, then ssm /micro-app/prod/MODEL_PROVIDER=small-llm",
        ]
        XCTAssertEqual(lines, expected)
        XCTAssertFalse(
            FileManager.default.fileExists(atPath: infra.appendingPathComponent("terraform.tfstate").path),
            "plan wrote terraform state")
        let freshLog = (try? String(contentsOfFile: world.auditLogPath, encoding: .utf8)) ?? ""
        XCTAssertEqual(freshLog, "", "plan wrote audit records")

        world.environment["GIT_SHA"] = "first"
        let promote = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod"], config: config, timeout: .seconds(300))
        XCTAssertEqual(promote.status, 0, promote.output)
        let aliasBefore = try await world.alias("micro-app-api")
        let stateBefore = try Data(contentsOf: infra.appendingPathComponent("terraform.tfstate"))
        let logBefore = try String(contentsOfFile: world.auditLogPath, encoding: .utf8)

        // A new function name replaces the function: promote would stop on it, so plan calls it out.
        world.environment["FUNCTION_NAME"] = "micro-app-api-v2"
        let destructive = await world.shipctl(
            ["plan", "--service", "api", "--env", "prod", "--json"], config: config, timeout: .seconds(300))
        XCTAssertEqual(destructive.status, 0, destructive.output)
        let plan = JSONValue.parse(destructive.stdout.split(separator: "\n").last.map(String.init) ?? "")
        XCTAssertEqual(plan?["terraform"]?["destructive"], true)
        XCTAssertTrue(
            plan?["terraform"]?["replace"]?.arrayValue?.contains("aws_lambda_function.app") ?? false, destructive.stdout
        )
        XCTAssertEqual(plan?["live"]?["stable"]?.stringValue, aliasBefore.version)
        XCTAssertEqual(plan?["steps"]?.arrayValue?.compactMap { $0["weight"]?.doubleValue }, [25, 100])
        XCTAssertEqual(plan?["version_source"]?.stringValue, "the terraform output `function_version` after apply")
        let human = await world.shipctl(
            ["plan", "--service", "api", "--env", "prod"], config: config, timeout: .seconds(300))
        let replacing =
            human.stdout.split(separator: "\n").first { $0.hasPrefix("terraform in ") }.map(String.init) ?? ""
        XCTAssertTrue(
            replacing.contains("0 to destroy, 3 to replace; replaced: ")
                && replacing.contains("aws_lambda_function.app"), human.stdout)
        XCTAssertTrue(
            human.stdout.contains("\n  ⚠ destructive: promote will stop here unless given --yes\n"), human.stdout)

        let aliasAfter = try await world.alias("micro-app-api")
        XCTAssertEqual(aliasAfter.version, aliasBefore.version)
        XCTAssertEqual(aliasAfter.weights, aliasBefore.weights)
        XCTAssertEqual(
            try Data(contentsOf: infra.appendingPathComponent("terraform.tfstate")), stateBefore,
            "plan changed the terraform state")
        XCTAssertEqual(
            try String(contentsOfFile: world.auditLogPath, encoding: .utf8), logBefore, "plan wrote audit records")
        let planFiles = try FileManager.default.contentsOfDirectory(atPath: infra.path).filter {
            $0.hasPrefix("shipctl-plan-")
        }
        XCTAssertEqual(planFiles, [], "plan left its plan file behind")

        // Nothing creates this function: an unreadable split is a failure, and the CLI's own words say why.
        let missing = try world.writeConfig(
            SampleConfig.inWorld(
                services: """
                      api:
                        provider: lambda
                        lambda: { function: no-such-app, alias: live }
                    """, prometheus: false), folder: "missing")
        let unreadable = await world.shipctl(["plan", "--service", "api", "--env", "prod"], config: missing)
        XCTAssertEqual(unreadable.status, 1, unreadable.output)
        let unreadableLine =
            unreadable.stdout.split(separator: "\n").first { $0.hasPrefix("live now: ") }.map(String.init) ?? ""
        XCTAssertTrue(unreadableLine.hasPrefix("live now: unreadable — "), unreadable.stdout)
        XCTAssertTrue(unreadableLine.contains("ResourceNotFoundException"), unreadable.stdout)
        XCTAssertTrue(unreadable.stderr.contains("ResourceNotFoundException"), unreadable.stderr)
    }

    /// An alias whose version follows the function (no `ignore_changes`): applied inside a promote, terraform
    /// would send everyone to the new version and the canary would find nothing to do.
    func testAnAliasThatFollowsTheFunctionStopsPlanAndPromoteBeforeAnyApply() async throws {
        let world = try await TestWorld(prometheus: false)
        addTeardownBlock { await world.shutdown() }
        let infra = try world.copyOfInfra()
        let config = try Self.config(world: world, infra: infra)
        world.environment["GIT_SHA"] = "first"
        let first = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod"], config: config, timeout: .seconds(300))
        XCTAssertEqual(first.status, 0, first.output)

        let main = infra.appendingPathComponent("main.tf")
        let ignoring = "  lifecycle {\n    ignore_changes = [function_version, routing_config]\n  }\n"
        let terraform = try String(contentsOf: main, encoding: .utf8)
        XCTAssertTrue(terraform.contains(ignoring))
        try terraform.replacingOccurrences(of: ignoring, with: "").write(to: main, atomically: true, encoding: .utf8)
        world.environment["GIT_SHA"] = "second"
        let stateBefore = try Data(contentsOf: infra.appendingPathComponent("terraform.tfstate"))
        let fix = "add `lifecycle { ignore_changes = [function_version, routing_config] }` to aws_lambda_alias.live"

        let plan = await world.shipctl(
            ["plan", "--service", "api", "--env", "prod"], config: config, timeout: .seconds(300))
        XCTAssertEqual(plan.status, 0, plan.output)
        XCTAssertTrue(
            plan.stdout.contains(
                "\n  ⚠ terraform would move traffic itself: aws_lambda_alias.live changes function_version, "
                    + "which would send all traffic to the new version at once and skip the canary; "
                    + "promote will stop here: \(fix)\n"), plan.stdout)
        let json = await world.shipctl(
            ["plan", "--service", "api", "--env", "prod", "--json"], config: config, timeout: .seconds(300))
        let moves = JSONValue.parse(json.stdout.split(separator: "\n").last.map(String.init) ?? "")?["terraform"]?[
            "moves_traffic"]
        XCTAssertEqual(moves?.arrayValue?.first?["resource"]?.stringValue, "aws_lambda_alias.live", json.stdout)

        let promote = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod"], config: config, timeout: .seconds(300))
        XCTAssertEqual(promote.status, 1, promote.output)
        XCTAssertTrue(
            promote.stderr.contains("terraform would move traffic itself: aws_lambda_alias.live"), promote.stderr)
        XCTAssertTrue(promote.stderr.contains(fix), promote.stderr)
        let alias = try await world.alias("micro-app-api")
        XCTAssertEqual(alias.version, "1")
        XCTAssertTrue(alias.weights.isEmpty)
        XCTAssertEqual(
            try Data(contentsOf: infra.appendingPathComponent("terraform.tfstate")), stateBefore, "terraform applied")
        let applies = try world.auditRecords().filter {
            $0["action"]?.stringValue == "terraform.apply" && $0["phase"]?.stringValue == "intent"
        }
        XCTAssertEqual(applies.count, 1, "only the first promote applied")
    }
}
