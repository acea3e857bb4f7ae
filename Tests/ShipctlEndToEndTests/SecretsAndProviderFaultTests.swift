import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// Secrets never leak; transient aws failures are retried and permanent ones are not.
final class SecretsAndProviderFaultTests: WorldTestCase {

    func testASentinelSecretNeverAppearsInOutputOrFiles() async throws {
        let sentinel = "sentinel-\(UUID().uuidString)"
        world.environment["MODEL_API_TOKEN"] = sentinel
        try await world.createFunction("secret-app", versions: 2)
        let yaml = LambdaPromoteTests.config(
            function: "secret-app", steps: "          - { weight: 50, pause: 2s }\n          - { weight: 100 }"
        )
        .replacingOccurrences(
            of: "    smoke:\n",
            with:
                "    smoke:\n      - { name: metrics, http: { url: \"\(world.simulatorURL)/metrics?token=${MODEL_API_TOKEN}\", status: 200 } }\n"
        )
        .replacingOccurrences(of: "value: small-llm", with: "value: \"small-llm-${MODEL_API_TOKEN}\"")
        let config = try world.writeConfig(yaml)

        let promote = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config)
        let rollback = await world.shipctl(["rollback", "--service", "api", "--env", "prod"], config: config)
        let show = await world.shipctl(["audit", "show"], config: config)
        let json = await world.shipctl(["status", "--json"], config: config)

        XCTAssertEqual(promote.status, 0, promote.output)
        XCTAssertEqual(rollback.status, 0, rollback.output)
        XCTAssertTrue(promote.stdout.contains("token=***"), "the smoke URL should be shown masked: \(promote.stdout)")
        // The flag really carried the secret to SSM; only shipctl's own records must not.
        let flagged = try await world.ssmValue("/micro-app/prod/MODEL_PROVIDER")
        XCTAssertEqual(flagged, "small-llm-\(sentinel)")
        for run in [promote, rollback, show, json] {
            XCTAssertFalse(run.output.contains(sentinel), run.output)
        }
        let stateFiles = try FileManager.default.subpathsOfDirectory(
            atPath: world.directory.appendingPathComponent("state").path)
        for file in stateFiles {
            let text =
                (try? String(
                    contentsOfFile: world.directory.appendingPathComponent("state").appendingPathComponent(file).path,
                    encoding: .utf8)) ?? ""
            XCTAssertFalse(text.contains(sentinel), "\(file) holds the secret")
        }
    }

    /// The secret has a quote and a backslash (which JSON escapes) and is printed by
    /// a smoke test across the point where its output is cut; it is written to SSM
    /// by a flag flip, and terraform hands over a sensitive value that ends up in
    /// the last error line. It must appear in no output mode, no final error line,
    /// no state file and on no child's command line while it runs.
    func testTheSentinelLeaksNowhereThroughJSONErrorLinesLongSmokeOutputOrCommandLines() async throws {
        let tail = UUID().uuidString
        let sentinel = "tok\"en\\zz-\(tail)"
        world.environment["FLAG_TOKEN"] = sentinel
        // Through the CLI, so there are child command lines for the sampler to search (the signed API starts none).
        try world.routeAWSThroughTheCLI()
        try await world.createFunction("sentinel-app", versions: 2)
        let yaml = LambdaPromoteTests.config(function: "sentinel-app", steps: "          - { weight: 100 }")
            .replacingOccurrences(
                of: "    smoke:\n",
                with:
                    "    smoke:\n      - { name: chatty, run: [\"sh\", \"-c\", \"printf '%s' \\\"$FLAG_TOKEN\\\" >&2; printf '%0280d' 0 >&2; exit 1\"] }\n"
            )
            .replacingOccurrences(of: "value: small-llm", with: "value: \"${FLAG_TOKEN}\"")
        let config = try world.writeConfig(yaml)
        let sampler = CommandLineSampler(looking: tail)

        let promote = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2", "--json"], config: config)
        let human = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config)
        let rollback = await world.shipctl(
            ["rollback", "--service", "api", "--env", "prod", "--to", "1", "--json"], config: config)
        let seen = await sampler.stop()

        XCTAssertEqual(promote.status, 3, promote.output)
        XCTAssertEqual(human.status, 3, human.output)
        XCTAssertEqual(rollback.status, 0, rollback.output)
        XCTAssertTrue(
            human.output.contains("***0000"), "the smoke output is shown with the secret masked whole: \(human.output)")
        let flagged = try await world.ssmValue("/micro-app/prod/MODEL_PROVIDER")
        XCTAssertEqual(flagged, sentinel, "the flip carried the secret to SSM, through a file")
        XCTAssertGreaterThan(seen.samples, 50, "the sampler looked at the command lines while shipctl ran")
        XCTAssertEqual(seen.leaks, [], "a command line held the secret")

        // The last error line: a secret default written in the file, and a terraform sensitive output.
        let fallback = try world.writeConfig(
            SampleConfig.inWorld(
                services: """
                      api:
                        provider: lambda
                        lambda: { function: sentinel-app, alias: live }
                    """, prometheus: false
            ).replacingOccurrences(
                of: "region: us-east-1", with: "region: us-east-1, prometheus: \"${PROM_TOKEN:-defaultSecret-\(tail)}\""
            ))
        let sensitive = "SensitiveDbPassw0rd!-\(tail)"
        let infra = world.directory.appendingPathComponent("sensitive-version")
        try FileManager.default.createDirectory(at: infra, withIntermediateDirectories: true)
        try "output \"function_version\" {\n  value     = \"\(sensitive)\"\n  sensitive = true\n}\n".write(
            to: infra.appendingPathComponent("main.tf"), atomically: true, encoding: .utf8)
        let terraform = try world.writeConfig(
            SampleConfig.inWorld(
                services: """
                      api:
                        provider: lambda
                        lambda: { function: sentinel-app, alias: live }
                        terraform: { dir: \(infra.path), version_output: function_version }
                    """, prometheus: false))
        var failures: [ShipctlRun] = []
        for json in [false, true] {
            let mode = json ? ["--json"] : []
            let badDefault = await world.shipctl(
                ["promote", "--service", "api", "--env", "prod"] + mode, config: fallback)
            XCTAssertEqual(badDefault.status, 2, badDefault.output)
            XCTAssertTrue(
                badDefault.output.contains("expected an http:// or https:// URL, got `***`"), badDefault.output)
            let badVersion = await world.shipctl(
                ["promote", "--service", "api", "--env", "prod"] + mode, config: terraform, timeout: .seconds(300))
            XCTAssertEqual(badVersion.status, 1, badVersion.output)
            XCTAssertTrue(
                badVersion.output.contains("`***` is not a published Lambda version number"), badVersion.output)
            failures += [badDefault, badVersion]
        }
        for run in [promote, human, rollback] + failures {
            XCTAssertFalse(run.output.contains(tail), run.output)
        }
        for file in try FileManager.default.subpathsOfDirectory(
            atPath: world.directory.appendingPathComponent("state").path)
        {
            let text =
                (try? String(
                    contentsOfFile: world.directory.appendingPathComponent("state").appendingPathComponent(file).path,
                    encoding: .utf8)) ?? ""
            XCTAssertFalse(text.contains(tail), "\(file) holds the secret")
        }
    }

    /// Terraform marks an output sensitive; a smoke test that prints that value
    /// (and fails, so its output is shown and recorded) must not reveal it.
    func testTerraformSensitiveOutputsAreMaskedEverywhere() async throws {
        try await world.createFunction("tf-secret-app", versions: 2)
        let sentinel = "tfsensitive-\(UUID().uuidString)"
        let infra = world.directory.appendingPathComponent("outputs-only")
        try FileManager.default.createDirectory(at: infra, withIntermediateDirectories: true)
        try """
        output "function_version" { value = "2" }
        output "model_api_credential" {
          value     = "\(sentinel)"
          sensitive = true
        }
        """.write(to: infra.appendingPathComponent("main.tf"), atomically: true, encoding: .utf8)
        let config = try world.writeConfig(
            SampleConfig.inWorld(
                services: """
                      api:
                        provider: lambda
                        lambda: { function: tf-secret-app, alias: live }
                        terraform: { dir: \(infra.path), version_output: function_version }
                        smoke:
                          - { name: leaky, run: ["sh", "-c", "echo 'credential is \(sentinel)' >&2; exit 1"] }
                    """, prometheus: false))

        let promote = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod"], config: config, timeout: .seconds(300))
        let show = await world.shipctl(["audit", "show"], config: config)

        XCTAssertEqual(promote.status, 3, promote.output)
        XCTAssertTrue(
            promote.output.contains("credential is ***"), "the smoke failure should be shown, masked: \(promote.output)"
        )
        for run in [promote, show] {
            XCTAssertFalse(run.output.contains(sentinel), run.output)
        }
        let audit = try String(contentsOfFile: world.auditLogPath, encoding: .utf8)
        XCTAssertFalse(audit.contains(sentinel))
        XCTAssertTrue(audit.contains("credential is ***"))
    }

    /// A fault-injecting `aws` earlier on PATH, in front of the real CLI (which shipctl is made to use).
    func installFaultyAWS() throws -> URL {
        try world.routeAWSThroughTheCLI()
        let bin = world.directory.appendingPathComponent("faulty-bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let realAWS = try XCTUnwrap(
            (world.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/aws" }.first {
                FileManager.default.isExecutableFile(atPath: $0)
            })
        let script = """
            #!/usr/bin/env bash
            state="\(bin.path)"
            if [[ " $* " == *" update-alias "* && -f "$state/throttle" ]]; then
              left=$(cat "$state/throttle")
              if [ "$left" -gt 0 ]; then
                echo $((left - 1)) > "$state/throttle"; echo throttled >> "$state/log"
                echo "An error occurred (TooManyRequestsException) when calling the UpdateAlias operation: Rate exceeded" >&2
                exit 255
              fi
            fi
            if [[ " $* " == *" get-alias "* && -f "$state/hang" ]]; then
              sleep 300 &
              echo $! > "$state/hung.pid"
              wait
            fi
            if [[ " $* " == *" update-alias "* && -f "$state/updates-before-hang" ]]; then
              left=$(cat "$state/updates-before-hang")
              if [ "$left" -le 0 ]; then echo hung >> "$state/log"; sleep 300; fi
              echo $((left - 1)) > "$state/updates-before-hang"
            fi
            if [[ " $* " == *" get-alias "* && -f "$state/deny" ]]; then
              echo denied >> "$state/log"
              echo "An error occurred (AccessDeniedException) when calling the GetAlias operation: User: arn:aws:iam::123456789012:user/ci is not authorized to perform: lambda:GetAlias" >&2
              exit 255
            fi
            exec "\(realAWS)" "$@"
            """
        let path = bin.appendingPathComponent("aws")
        try script.write(to: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path.path)
        world.environment["PATH"] = bin.path + ":" + (world.environment["PATH"] ?? "")
        return bin
    }

    func log(_ bin: URL) -> [String] {
        ((try? String(contentsOf: bin.appendingPathComponent("log"), encoding: .utf8)) ?? "").split(separator: "\n")
            .map(String.init)
    }

    func testThrottlingIsRetriedAndAccessDeniedIsNot() async throws {
        try await world.createFunction("faulty-app", versions: 2)
        let bin = try installFaultyAWS()
        let config = try world.writeConfig(
            LambdaPromoteTests.config(function: "faulty-app", steps: "          - { weight: 100 }"))

        try "2".write(to: bin.appendingPathComponent("throttle"), atomically: true, encoding: .utf8)
        let throttled = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config)
        XCTAssertEqual(throttled.status, 0, throttled.output)
        XCTAssertEqual(log(bin), ["throttled", "throttled"])
        let alias = try await world.alias("faulty-app")
        XCTAssertEqual(alias.version, "2")

        try "".write(to: bin.appendingPathComponent("log"), atomically: true, encoding: .utf8)
        try "".write(to: bin.appendingPathComponent("deny"), atomically: true, encoding: .utf8)
        let denied = await world.shipctl(["status", "--service", "api", "--env", "prod"], config: config)
        XCTAssertTrue(denied.output.contains("AccessDeniedException"), denied.output)
        let promote = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "1"], config: config)
        XCTAssertEqual(promote.status, 1, promote.output)
        XCTAssertTrue(promote.stderr.contains("not authorized to perform: lambda:GetAlias"), promote.stderr)
        XCTAssertEqual(log(bin), ["denied", "denied"], "a permanent error must not be retried")
    }

    /// A process that is still running, not a zombie waiting to be reaped.
    func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return !stat[stat.index(after: close)...].hasPrefix(" Z")
    }

    func testAHungCallIsKilledAtItsTimeoutAndAHungRevertSaysHowToFinishIt() async throws {
        try await world.createFunction("hang-app", versions: 2)
        let bin = try installFaultyAWS()
        // Long enough for every call that does not hang: the real aws CLI alone needs about
        // a second to start, and more on a loaded CI machine.
        let yaml = LambdaPromoteTests.config(
            function: "hang-app", steps: "          - { weight: 10, pause: 1s }\n          - { weight: 100 }"
        )
        .replacingOccurrences(of: "version: 1\n", with: "version: 1\ntimeouts: { provider_call: 5s }\n")
        .replacingOccurrences(
            of: "    smoke:\n      - { name: invoke, invoke: { payload: '{\"ping\": true}' } }\n", with: "")
        let config = try world.writeConfig(yaml)

        try "".write(to: bin.appendingPathComponent("hang"), atomically: true, encoding: .utf8)
        let started = Date()
        let hung = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config)
        XCTAssertEqual(hung.status, 1, hung.output)
        XCTAssertTrue(hung.stderr.contains("timed out after 5s and was killed"), hung.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(started), 30)
        let sleeper = try XCTUnwrap(
            Int32(
                String(contentsOf: bin.appendingPathComponent("hung.pid"), encoding: .utf8).trimmingCharacters(
                    in: .whitespacesAndNewlines)))
        XCTAssertFalse(isAlive(sleeper), "the hung call's own child must be killed with it")
        try FileManager.default.removeItem(at: bin.appendingPathComponent("hang"))

        // The first shift goes through; every later update-alias hangs, the revert's retries included.
        try "1".write(to: bin.appendingPathComponent("updates-before-hang"), atomically: true, encoding: .utf8)
        let stuck = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config)
        XCTAssertEqual(stuck.status, 1, stuck.output)
        XCTAssertTrue(stuck.stderr.contains("reverting to version 1 failed"), stuck.stderr)
        XCTAssertTrue(stuck.stderr.contains("live traffic now: 90% on 1, 10% on 2"), stuck.stderr)
        XCTAssertTrue(
            stuck.stderr.contains(
                "put traffic back by hand: aws --region us-east-1 lambda update-alias --function-name hang-app --name live --function-version 1"
            ), stuck.stderr)
        XCTAssertGreaterThan(
            log(bin).filter { $0 == "hung" }.count, 2, "the revert should be retried harder than other calls")

        try FileManager.default.removeItem(at: bin.appendingPathComponent("updates-before-hang"))
        let resumed = await world.shipctl(["resume", "--service", "api", "--env", "prod"], config: config)
        XCTAssertEqual(resumed.status, 3, "resume finishes the revert the promote had started: \(resumed.output)")
        let alias = try await world.alias("hang-app")
        XCTAssertEqual(alias.version, "1")
        XCTAssertTrue(alias.weights.isEmpty)
    }
}
