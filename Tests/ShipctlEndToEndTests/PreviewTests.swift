import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// Issue "Preview environments": real terraform (workspaces `pr-N`), the AWS
/// provider from the local mirror and moto for the resources and the secrets.
final class PreviewTests: WorldTestCase {

    /// A copy of the repository's `infra/` (a Lambda function, its role and SSM
    /// parameter), named per pull request through `{{pr}}`.
    func realInfraConfig() throws -> String {
        let infra = world.directory.appendingPathComponent("infra")
        try FileManager.default.copyItem(at: TestWorld.repositoryRoot.appendingPathComponent("infra"), to: infra)
        for leftover in [
            ".terraform", ".terraform.lock.hcl", "terraform.tfstate", "terraform.tfstate.d", "shipctl.tfplan",
        ] {
            try? FileManager.default.removeItem(at: infra.appendingPathComponent(leftover))
        }
        return try world.writeConfig(
            SampleConfig.inWorld(
                services: """
                      api:
                        provider: lambda
                        lambda: { function: micro-app-api, alias: live }
                        preview:
                          terraform:
                            dir: \(infra.path)
                            vars: { function_name: "micro-app-api-pr-{{pr}}", env: "pr-{{pr}}", aws_endpoint: "${AWS_ENDPOINT_URL:-}" }
                          ttl: 48h
                          secrets:
                            - { name: "micro-app/pr-{{pr}}/llm-token", token_budget: 50000 }
                    """, prometheus: false))
    }

    /// Terraform with no provider (`terraform_data`), quick to apply; a preview's
    /// teardown fails while a file `fail-pr-N` exists next to it.
    func lightConfig() throws -> (config: String, dir: URL) {
        let dir = world.directory.appendingPathComponent("light-infra")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try """
        variable "name" { type = string }
        resource "terraform_data" "app" {
          input = var.name
          provisioner "local-exec" {
            when    = destroy
            command = "test ! -e ${path.module}/fail-${self.input}"
          }
        }
        output "name" { value = terraform_data.app.input }
        """.write(to: dir.appendingPathComponent("main.tf"), atomically: true, encoding: .utf8)
        let config = try world.writeConfig(
            SampleConfig.inWorld(
                services: """
                      api:
                        provider: lambda
                        lambda: { function: micro-app-api, alias: live }
                        preview:
                          terraform: { dir: \(dir.path), vars: { name: "pr-{{pr}}" } }
                          secrets:
                            - { name: "light/pr-{{pr}}/token", token_budget: 1000 }
                          opt_out_label: no-preview
                    """, prometheus: false))
        return (config, dir)
    }

    func workspaces(in dir: String) async throws -> [String] {
        let result = await SystemProcessRunner(environment: world.environment).run(
            ProcessRequest(
                "terraform", ["workspace", "list", "-no-color"], workingDirectory: dir, timeout: .seconds(60),
                retry: .never, mutating: false))
        return result.stdout.split(separator: "\n").map {
            $0.replacingOccurrences(of: "*", with: "").trimmingCharacters(in: .whitespaces)
        }
    }

    /// Secrets in moto: name → tags.
    func secrets() async throws -> [String: [String: String]] {
        let listed = JSONValue.parse(try await world.aws(["secretsmanager", "list-secrets"]))
        var result: [String: [String: String]] = [:]
        if case .array(let items)? = listed?["SecretList"] {
            for item in items {
                guard let name = item["Name"]?.stringValue else { continue }
                var tags: [String: String] = [:]
                if case .array(let pairs)? = item["Tags"] {
                    for pair in pairs {
                        if let key = pair["Key"]?.stringValue { tags[key] = pair["Value"]?.stringValue }
                    }
                }
                result[name] = tags
            }
        }
        return result
    }

    func functions() async throws -> [String] {
        guard
            case .array(let items)? = JSONValue.parse(try await world.aws(["lambda", "list-functions"]))?["Functions"]
        else { return [] }
        return items.compactMap { $0["FunctionName"]?.stringValue }.sorted()
    }

    func testUpTwoPreviewsUpdateOneInPlaceAndTearItDownTwice() async throws {
        let config = try realInfraConfig()
        let infra = world.directory.appendingPathComponent("infra").path

        let up7 = await world.shipctl(["preview", "up", "--pr", "7"], config: config, timeout: .seconds(300))
        let up8 = await world.shipctl(["preview", "up", "--pr", "8"], config: config, timeout: .seconds(300))
        XCTAssertEqual(up7.status, 0, up7.output)
        XCTAssertEqual(up8.status, 0, up8.output)
        XCTAssertTrue(
            up7.stdout.contains("function_name = micro-app-api-pr-7"), "up prints the preview's outputs: \(up7.stdout)")
        let workspacesAfterUp = try await workspaces(in: infra)
        XCTAssertTrue(workspacesAfterUp.contains("pr-7") && workspacesAfterUp.contains("pr-8"), "\(workspacesAfterUp)")
        let functionsAfterUp = try await functions()
        XCTAssertEqual(functionsAfterUp, ["micro-app-api-pr-7", "micro-app-api-pr-8"])
        let stored = try await secrets()
        XCTAssertEqual(stored.keys.sorted(), ["micro-app/pr-7/llm-token", "micro-app/pr-8/llm-token"])
        for pr in ["7", "8"] {
            let tags = stored["micro-app/pr-\(pr)/llm-token"] ?? [:]
            XCTAssertEqual(tags["shipctl-pr"], pr)
            XCTAssertEqual(tags["token-budget"], "50000")
            let expires = try XCTUnwrap(tags["expires-at"].flatMap(Timestamp.parse), "\(tags)")
            XCTAssertEqual(expires.timeIntervalSinceNow, 48 * 3600, accuracy: 600)
        }

        let again = await world.shipctl(["preview", "up", "--pr", "7"], config: config, timeout: .seconds(300))
        XCTAssertEqual(again.status, 0, again.output)
        XCTAssertTrue(
            again.stdout.contains("terraform plan: no changes"), "the second up is an update in place: \(again.stdout)")
        let functionsAfterAgain = try await functions()
        XCTAssertEqual(functionsAfterAgain, ["micro-app-api-pr-7", "micro-app-api-pr-8"])
        let secretsAfterAgain = try await secrets()
        XCTAssertEqual(secretsAfterAgain.count, 2)
        let list = await world.shipctl(["preview", "list", "--json"], config: config)
        let listed = list.stdout.split(separator: "\n").compactMap { JSONValue.parse(String($0)) }
        XCTAssertEqual(listed.compactMap { $0["pr"]?.doubleValue }, [7, 8], list.output)
        XCTAssertEqual(listed.first?["status"]?.stringValue, "active")

        let down = await world.shipctl(["preview", "down", "--pr", "7"], config: config, timeout: .seconds(300))
        XCTAssertEqual(down.status, 0, down.output)
        let functionsAfterDown = try await functions()
        XCTAssertEqual(functionsAfterDown, ["micro-app-api-pr-8"])
        let secretsAfterDown = try await secrets()
        XCTAssertEqual(secretsAfterDown.keys.sorted(), ["micro-app/pr-8/llm-token"])
        let workspacesAfterDown = try await workspaces(in: infra)
        XCTAssertFalse(workspacesAfterDown.contains("pr-7"), "\(workspacesAfterDown)")
        XCTAssertTrue(workspacesAfterDown.contains("pr-8"))

        let downAgain = await world.shipctl(["preview", "down", "--pr", "7"], config: config, timeout: .seconds(300))
        XCTAssertEqual(downAgain.status, 0, downAgain.output)
        XCTAssertTrue(downAgain.stdout.contains("nothing to tear down"), downAgain.stdout)
        let never = await world.shipctl(["preview", "down", "--pr", "999"], config: config, timeout: .seconds(300))
        XCTAssertEqual(never.status, 0, never.output)
        let verify = await world.shipctl(["audit", "verify"], config: config)
        XCTAssertEqual(verify.status, 0, verify.output)
    }

    func testGCRemovesOnlyExpiredPreviewsAndGoesOnPastAFailedTeardown() async throws {
        let (config, dir) = try lightConfig()
        for (pr, ttl) in [("20", "1s"), ("21", "72h"), ("22", "1s"), ("23", "1s")] {
            let up = await world.shipctl(
                ["preview", "up", "--pr", pr, "--ttl", ttl], config: config, timeout: .seconds(300))
            XCTAssertEqual(up.status, 0, up.output)
        }
        try "".write(to: dir.appendingPathComponent("fail-pr-22"), atomically: true, encoding: .utf8)
        try await Task.sleep(for: .seconds(2))

        let gc = await world.shipctl(["preview", "gc"], config: config, timeout: .seconds(300))

        XCTAssertEqual(gc.status, 1, "one teardown failed, so gc fails: \(gc.output)")
        XCTAssertTrue(gc.stderr.contains("pr-22"), gc.stderr)
        let list = await world.shipctl(["preview", "list", "--json"], config: config)
        let left = list.stdout.split(separator: "\n").compactMap { JSONValue.parse(String($0))?["pr"]?.doubleValue }
        XCTAssertEqual(left, [21, 22], "20 and 23 expired and went; 21 is fresh; 22's teardown failed: \(list.output)")
        let remaining = try await workspaces(in: dir.path)
        XCTAssertFalse(remaining.contains("pr-20") || remaining.contains("pr-23"), "\(remaining)")
        XCTAssertTrue(remaining.contains("pr-21"))
        let stored = try await secrets()
        XCTAssertEqual(stored.keys.sorted(), ["light/pr-21/token", "light/pr-22/token"])

        try FileManager.default.removeItem(at: dir.appendingPathComponent("fail-pr-22"))
        let retry = await world.shipctl(["preview", "gc", "--max-age", "1h"], config: config, timeout: .seconds(300))
        XCTAssertEqual(retry.status, 0, retry.output)
        let after = await world.shipctl(["preview", "list", "--json"], config: config)
        XCTAssertEqual(
            after.stdout.split(separator: "\n").compactMap { JSONValue.parse(String($0))?["pr"]?.doubleValue }, [21])
    }

    /// A runner whose log never saw the previews (a fresh CI runner, where the nightly gc runs) finds them in
    /// the cloud: the tagged secrets and the terraform workspaces. It tears down the expired one, keeps the
    /// fresh one, and leaves alone a bare workspace nothing tells the expiry of.
    func testAFreshRunnerFindsPreviewsInTheCloudAndCollectsTheExpiredOne() async throws {
        let (config, dir) = try lightConfig()
        for (pr, ttl) in [("30", "1s"), ("31", "72h")] {
            let up = await world.shipctl(
                ["preview", "up", "--pr", pr, "--ttl", ttl], config: config, timeout: .seconds(300))
            XCTAssertEqual(up.status, 0, up.output)
        }
        let bare = await SystemProcessRunner(environment: world.environment).run(
            ProcessRequest(
                "terraform", ["workspace", "new", "pr-32", "-no-color"], workingDirectory: dir.path,
                timeout: .seconds(60), retry: .never, mutating: true))
        XCTAssertTrue(bare.succeeded, bare.stderr)
        // Any job allowed to create and tag secrets plants one saying the live pr-31 has expired.
        _ = try await world.aws([
            "secretsmanager", "create-secret", "--name", "planted/pr-31", "--secret-string", "x", "--tags",
            "Key=managed-by,Value=shipctl", "Key=shipctl-service,Value=api", "Key=shipctl-pr,Value=31",
            "Key=expires-at,Value=2020-01-01T00:00:00Z",
        ])
        try await Task.sleep(for: .seconds(2))

        var fresh = world.environment
        fresh["SHIPCTL_STATE_DIR"] = world.directory.appendingPathComponent("fresh-runner-state").path
        let list = await ShipctlRun.run(
            ["preview", "list", "--json", "--config", config], environment: fresh, timeout: .seconds(300))
        XCTAssertEqual(list.status, 0, list.output)
        let listed = list.stdout.split(separator: "\n").compactMap { JSONValue.parse(String($0)) }
        let byPR = Dictionary(
            uniqueKeysWithValues: listed.compactMap { entry in entry["pr"]?.doubleValue.map { ($0, entry) } })
        XCTAssertEqual(byPR.keys.sorted(), [30, 31, 32], list.stdout)
        XCTAssertEqual(byPR[30]?["found_in"], ["secrets", "terraform"])
        XCTAssertEqual(byPR[30]?["status"]?.stringValue, "expired")
        XCTAssertEqual(byPR[31]?["status"]?.stringValue, "active")
        XCTAssertEqual(byPR[32]?["found_in"], ["terraform"])
        XCTAssertEqual(byPR[32]?["status"]?.stringValue, "expiry unknown")

        let gc = await ShipctlRun.run(
            ["preview", "gc", "--config", config], environment: fresh, timeout: .seconds(300))
        XCTAssertEqual(gc.status, 0, gc.output)
        XCTAssertTrue(
            gc.stdout.contains("tearing down preview pr-30 of api, created "), gc.stdout)
        XCTAssertTrue(gc.stdout.contains("found in Secrets Manager, terraform workspace"), gc.stdout)
        XCTAssertTrue(
            gc.stdout.contains(
                "left preview pr-32 of api alone: found only as terraform workspace, nothing tells when it expires"),
            gc.stdout)
        XCTAssertTrue(gc.output.contains("left alone: the secret planted/pr-31"), gc.output)
        XCTAssertFalse(gc.stdout.contains("tearing down preview pr-31"), gc.stdout)
        let remaining = try await workspaces(in: dir.path)
        XCTAssertFalse(remaining.contains("pr-30"), "\(remaining)")
        XCTAssertTrue(remaining.contains("pr-31") && remaining.contains("pr-32"), "\(remaining)")
        let stored = try await secrets()
        XCTAssertEqual(stored.keys.sorted(), ["light/pr-31/token", "planted/pr-31"])
    }

    /// `up` says when each terraform phase starts and, past 5 s, that it is still running; `up` again without
    /// `--ttl` keeps the life the preview was given; no plan is left in the terraform folder, where it would
    /// be committed or applied by someone later.
    func testUpSaysWhatRunsKeepsItsExpiryAndLeavesNoPlanBehind() async throws {
        let (config, dir) = try lightConfig()
        let slow =
            "\nresource \"terraform_data\" \"slow\" {\n  provisioner \"local-exec\" { command = \"sleep 7\" }\n}\n"
        let main = dir.appendingPathComponent("main.tf")
        try (try String(contentsOf: main, encoding: .utf8) + slow).write(to: main, atomically: true, encoding: .utf8)
        func expiry() async throws -> String? {
            let list = await world.shipctl(["preview", "list", "--json"], config: config, timeout: .seconds(120))
            return list.stdout.split(separator: "\n").compactMap { JSONValue.parse(String($0)) }
                .first { $0["pr"]?.doubleValue == 40 }?["expires_at"]?.stringValue
        }
        let first = await world.shipctl(
            ["preview", "up", "--pr", "40", "--ttl", "24h"], config: config, timeout: .seconds(300))
        XCTAssertEqual(first.status, 0, first.output)
        XCTAssertTrue(first.stdout.contains("terraform apply in \(dir.path) started"), first.stdout)
        XCTAssertTrue(first.stdout.contains("terraform apply still running after 5s"), first.stdout)
        let given = try await expiry()
        XCTAssertNotNil(given)
        let again = await world.shipctl(["preview", "up", "--pr", "40"], config: config, timeout: .seconds(300))
        XCTAssertEqual(again.status, 0, again.output)
        let kept = try await expiry()
        XCTAssertEqual(kept, given, "up without --ttl moved the expiry")
        let down = await world.shipctl(["preview", "down", "--pr", "40"], config: config, timeout: .seconds(300))
        XCTAssertEqual(down.status, 0, down.output)
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".tfplan") }
        XCTAssertEqual(left, [], "plan files left in the terraform folder")
    }

    func sync(_ event: String, payload: String, config: String) async throws -> ShipctlRun {
        let path = world.directory.appendingPathComponent("event-\(UUID().uuidString.prefix(6)).json")
        try payload.write(to: path, atomically: true, encoding: .utf8)
        var environment = world.environment
        environment["GITHUB_EVENT_NAME"] = event
        environment["GITHUB_EVENT_PATH"] = path.path
        return await ShipctlRun.run(
            ["preview", "sync", "--config", config], environment: environment, timeout: .seconds(300))
    }

    static func pullRequest(_ action: String, number: Int, labels: [String] = [], label: String? = nil) -> String {
        let names = labels.map { "{\"name\": \"\($0)\", \"color\": \"ededed\"}" }.joined(separator: ", ")
        let labelField = label.map { ", \"label\": {\"name\": \"\($0)\"}" } ?? ""
        return """
            {"action": "\(action)", "number": \(number)\(labelField),
             "pull_request": {"number": \(number), "state": "open", "head": {"sha": "abc123", "ref": "feature"}, "labels": [\(names)]},
             "repository": {"full_name": "acme/micro-app"}}
            """
    }

    func previewNumbers(_ config: String) async -> [Double] {
        let list = await world.shipctl(["preview", "list", "--json"], config: config)
        return list.stdout.split(separator: "\n").compactMap { JSONValue.parse(String($0))?["pr"]?.doubleValue }
    }

    func testSyncFollowsPullRequestEvents() async throws {
        let (config, _) = try lightConfig()

        let opened = try await sync("pull_request", payload: Self.pullRequest("opened", number: 30), config: config)
        XCTAssertEqual(opened.status, 0, opened.output)
        let afterOpened = await previewNumbers(config)
        XCTAssertEqual(afterOpened, [30])

        let pushed = try await sync(
            "pull_request", payload: Self.pullRequest("synchronize", number: 30), config: config)
        XCTAssertEqual(pushed.status, 0, pushed.output)
        XCTAssertTrue(
            pushed.stdout.contains("terraform plan: no changes"),
            "synchronize updates the same preview: \(pushed.stdout)")
        let afterPushed = await previewNumbers(config)
        XCTAssertEqual(afterPushed, [30])

        let optedOut = try await sync(
            "pull_request",
            payload: Self.pullRequest("labeled", number: 30, labels: ["no-preview"], label: "no-preview"),
            config: config)
        XCTAssertEqual(optedOut.status, 0, optedOut.output)
        let afterOptOut = await previewNumbers(config)
        XCTAssertEqual(afterOptOut, [], "the opt-out label tears the preview down")

        let openedOptedOut = try await sync(
            "pull_request", payload: Self.pullRequest("opened", number: 31, labels: ["no-preview"]), config: config)
        XCTAssertEqual(openedOptedOut.status, 0, openedOptedOut.output)
        let afterOpenedOptedOut = await previewNumbers(config)
        XCTAssertEqual(afterOpenedOptedOut, [], "a pull request opened with the opt-out label gets no preview")

        let reopened = try await sync("pull_request", payload: Self.pullRequest("reopened", number: 32), config: config)
        XCTAssertEqual(reopened.status, 0, reopened.output)
        let closed = try await sync("pull_request", payload: Self.pullRequest("closed", number: 32), config: config)
        XCTAssertEqual(closed.status, 0, closed.output)
        let afterClosed = await previewNumbers(config)
        XCTAssertEqual(afterClosed, [])
        let stored = try await secrets()
        XCTAssertEqual(stored.count, 0, "closing the pull request deletes its secrets")

        let other = try await sync("push", payload: "{\"ref\": \"refs/heads/main\"}", config: config)
        XCTAssertEqual(other.status, 0, other.output)
        XCTAssertTrue(other.stdout.contains("is not about a pull request"), other.stdout)
        let edited = try await sync("pull_request", payload: Self.pullRequest("edited", number: 33), config: config)
        XCTAssertEqual(edited.status, 0, edited.output)
        XCTAssertTrue(edited.stdout.contains("nothing to do"), edited.stdout)
    }
}
