import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// Peers that misbehave on purpose (`scripts/testworld/hostile_peer.py`), met
/// through the binary: an answer that trickles a byte a second ends at its
/// deadline, a signal during it still reverts, a redirect never carries a
/// flag service's token to another origin, and an endless answer is cut off.
final class HostilePeerTests: WorldTestCase {
    static let token = "unleash-admin-token-8842"

    /// One Lambda service with an `http` smoke test at `smokeURL`, two steps, and no metric.
    private func smokeConfig(function: String, smokeURL: String, timeout: String) throws -> String {
        try world.writeConfig(
            SampleConfig.inWorld(
                services: """
                      api:
                        provider: lambda
                        lambda: { function: \(function), alias: live }
                        strategy:
                          steps:
                            - { weight: 10, pause: 2s }
                            - { weight: 100 }
                        smoke:
                          - { name: health, http: { url: "\(smokeURL)", status: 200, timeout: \(timeout) } }
                    """, prometheus: false))
    }

    /// One Lambda service whose only flag is an Unleash feature at `url`.
    private func unleashConfig(url: String) throws -> String {
        world.environment["UNLEASH_TOKEN"] = Self.token
        let flag =
            "{ unleash: { url: \"\(url)\", project: default, feature: new-recs, environment: production, token: \"${UNLEASH_TOKEN}\" }, enabled: false }"
        return try world.writeConfig(SampleConfig.oneStepInWorld(function: "flag-app", flags: [flag]))
    }

    private func smokeRecords() throws -> [JSONValue] {
        try world.auditRecords().filter { $0["action"]?.stringValue == "smoke" }
    }

    /// A cloud API that accepts connections and never answers: each retry is said as it happens, and the
    /// rollback stops at its deadline naming the host, the timeout and what was tried.
    func testARollbackAgainstACloudThatNeverAnswersSaysEachRetryAndStopsAtItsDeadline() async throws {
        let config = try world.writeConfig(
            SampleConfig.oneStepInWorld(function: "silent-app") + "\ntimeouts: { provider_call: 2s, rollback: 9s }\n")
        world.environment["AWS_ENDPOINT_URL"] = "\(world.notifyURL)/hang"
        let run = await world.shipctl(
            ["rollback", "--service", "api", "--env", "prod", "--to", "1", "--timeout", "5s"], config: config)
        XCTAssertEqual(run.status, 1, run.output)
        XCTAssertTrue(
            run.stderr.contains("warning: no answer from 127.0.0.1 within 2s; trying again (2/"), run.stderr)
        XCTAssertTrue(
            run.stderr.contains(
                "error: the rollback of api/prod did not finish within 5s; "
                    + "the last try: no answer from 127.0.0.1 within 2s"
            ), run.stderr)
        XCTAssertTrue(run.stderr.contains("shipctl status --service api --env prod"), run.stderr)
        XCTAssertFalse(run.output.contains("NSURLErrorDomain"), run.output)
        // Without --timeout, the configuration's `timeouts.rollback` is the deadline.
        let configured = await world.shipctl(
            ["rollback", "--service", "api", "--env", "prod", "--to", "1"], config: config)
        XCTAssertEqual(configured.status, 1, configured.output)
        XCTAssertTrue(
            configured.stderr.contains("error: the rollback of api/prod did not finish within 9s"), configured.stderr)
        XCTAssertTrue(
            configured.stderr.contains("warning: no answer from 127.0.0.1 within 2s; trying again"), configured.stderr)
    }

    func testATricklingSmokeEndpointFailsAtItsDeadlineAndTheCanaryIsReverted() async throws {
        try await world.createFunction("trickle-app", versions: 2)
        // The pre-traffic smoke test is answered; the one after the shift trickles.
        let config = try smokeConfig(
            function: "trickle-app", smokeURL: "\(world.hostileURL)/trickle/1/health", timeout: "3s")
        let started = Date()
        let run = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config)
        let elapsed = Date().timeIntervalSince(started)

        XCTAssertEqual(run.status, 3, run.output)
        XCTAssertLessThan(elapsed, 30, "a 3 s smoke test must not hold the canary: \(run.output)")
        let smoke = try smokeRecords()
        XCTAssertEqual(smoke.map { $0["outcome"]?.stringValue }, ["pass", "fail"])
        XCTAssertTrue(smoke.last?["args"]?["detail"]?.stringValue?.contains("timed out after 3s") == true, "\(smoke)")
        let alias = try await world.alias("trickle-app")
        XCTAssertEqual(alias.version, "1")
        XCTAssertTrue(alias.weights.isEmpty, "\(alias.weights)")
    }

    func testSIGTERMDuringATricklingSmokeTestRevertsTraffic() async throws {
        try await world.createFunction("signal-app", versions: 2)
        let config = try smokeConfig(
            function: "signal-app", smokeURL: "\(world.hostileURL)/trickle/1/health", timeout: "120s")
        let process = try world.startShipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config)
        // The canary holds 10 % once the shift's result is on disk; its smoke test then trickles.
        var shifted = false
        for _ in 0..<300 where !shifted {
            let records = (try? world.auditRecords()) ?? []
            shifted = records.contains {
                $0["action"]?.stringValue == "traffic.shift" && $0["phase"]?.stringValue == "result"
            }
            if !shifted { try await Task.sleep(for: .milliseconds(100)) }
        }
        XCTAssertTrue(shifted, "the canary never took traffic")
        try await Task.sleep(for: .seconds(2))
        let during = try await world.alias("signal-app")
        XCTAssertEqual(during.weights["2"], 0.1)

        kill(process.processIdentifier, SIGTERM)
        let signalled = Date()
        while process.isRunning && Date().timeIntervalSince(signalled) < 10 {
            try await Task.sleep(for: .milliseconds(50))
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }

        XCTAssertLessThan(
            Date().timeIntervalSince(signalled), 7.5, "SIGTERM must end the trickling smoke test and revert")
        XCTAssertEqual(process.terminationStatus, 143)
        let alias = try await world.alias("signal-app")
        XCTAssertEqual(alias.version, "1")
        XCTAssertTrue(alias.weights.isEmpty, "\(alias.weights)")
        let finish = try world.auditRecords().last { $0["action"]?.stringValue == "deployment.finish" }
        XCTAssertEqual(finish?["outcome"]?.stringValue, "cancelled")
        XCTAssertEqual(try smokeRecords().last?["outcome"]?.stringValue, "cancelled")
    }

    func testATricklingPrometheusEndsEachReadAtItsDeadlineAndTheCanaryIsReverted() async throws {
        try await world.createFunction("slow-metrics-app", versions: 2)
        world.environment["PROMETHEUS_URL"] = "\(world.hostileURL)/trickle/0"
        let config = try world.writeConfig(
            LambdaPromoteTests.config(
                function: "slow-metrics-app",
                steps: """
                              - { weight: 10, pause: 30s }
                              - { weight: 100 }
                    """, inconclusiveLimit: 1))
        let started = Date()
        let run = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config)

        XCTAssertEqual(run.status, 3, run.output)
        XCTAssertTrue(run.output.contains("timed out after 5s"), run.output)
        // Two inconclusive evaluations of 5 s each end the canary well inside its 30 s pause.
        XCTAssertLessThan(Date().timeIntervalSince(started), 28, run.output)
        let alias = try await world.alias("slow-metrics-app")
        XCTAssertEqual(alias.version, "1")
    }

    func testATricklingFlagServiceEndsAtItsDeadline() async throws {
        let config = try unleashConfig(url: "\(world.hostileURL)/trickle/0")
        let started = Date()
        let run = await world.shipctl(
            ["flags", "set", "new-recs=false", "--service", "api", "--env", "prod"], config: config)

        XCTAssertEqual(run.status, 1, run.output)
        XCTAssertTrue(run.stderr.contains("timed out after 10s"), run.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(started), 30, run.output)
        XCTAssertFalse(run.output.contains(Self.token))
    }

    func testARedirectToAnotherOriginFailsTheFlipAndTheTokenStaysHome() async throws {
        let config = try unleashConfig(url: "\(world.hostileURL)/redirect")
        let run = await world.shipctl(
            ["flags", "set", "new-recs=false", "--service", "api", "--env", "prod"], config: config)

        XCTAssertEqual(run.status, 1, run.output)
        XCTAssertTrue(run.stderr.contains("Unleash answered 307"), run.stderr)
        let requests = try await world.hostileRequests()
        let home = URL(string: world.hostileURL)?.port
        XCTAssertFalse(requests.isEmpty)
        XCTAssertEqual(
            requests.filter { $0["port"]?.doubleValue.map { Int($0) } != home }.count, 0,
            "a request followed the redirect to another origin: \(requests)")
        let flips = try world.auditRecords().filter {
            $0["action"]?.stringValue == "flag.set" && $0["phase"]?.stringValue == "result"
        }
        XCTAssertEqual(flips.map { $0["outcome"]?.stringValue }, ["failed"], "\(flips)")
    }

    func testAnEndlessAnswerIsCutOffWithAClearError() async throws {
        let config = try unleashConfig(url: "\(world.hostileURL)/huge")
        let started = Date()
        let run = await world.shipctl(["flags", "list", "--service", "api", "--env", "prod"], config: config)

        XCTAssertEqual(run.status, 1, run.output)
        XCTAssertTrue(run.output.contains("more than 16 MiB"), run.output)
        XCTAssertLessThan(Date().timeIntervalSince(started), 30, run.output)
    }
}

extension HostilePeerTests {
    /// Values that are secret by their place — a literal `token:`, a token from a variable whose name
    /// says nothing, a password in a Prometheus or flag-service URL — never reach output or the log.
    func testSecretsKnownByTheirPlaceAreMaskedEverywhere() async throws {
        let literal = "literal-unleash-credential-93"
        let fromVariable = "plain-variable-credential-41"
        let password = "pr0m-pass-77"
        world.environment["FLAG_CRED"] = fromVariable
        try await world.createFunction("secret-app", versions: 2)
        let hostile = world.hostileURL.replacingOccurrences(of: "http://", with: "http://deploy:\(password)@")
        let config = try world.writeConfig(
            """
            version: 1
            state: { dir: "${SHIPCTL_STATE_DIR}" }
            environments:
              prod: { region: us-east-1, prometheus: "http://metrics:\(password)@127.0.0.1:9" }
            services:
              api:
                provider: lambda
                lambda: { function: secret-app, alias: live }
                strategy:
                  steps:
                    - { weight: 10, pause: 3s }
                    - { weight: 100 }
                analysis:
                  interval: 1s
                  inconclusive_limit: 1
                  metrics:
                    - { name: error-rate, prometheus: 'sum(rate(llm_requests_total{version="{{canary}}"}[30s]))', max: 1 }
                on_failure:
                  flags:
                    - { unleash: { url: "\(hostile)/echo", project: default, feature: literal, environment: production, token: \(literal) }, enabled: false }
                    - { unleash: { url: "\(hostile)/echo", project: default, feature: variable, environment: production, token: "${FLAG_CRED}" }, enabled: false }
            """)
        var runs: [ShipctlRun] = []
        for json in [false, true] {
            let extra = json ? ["--json"] : []
            runs.append(
                await world.shipctl(
                    ["flags", "set", "literal=false", "--service", "api", "--env", "prod"] + extra, config: config))
            runs.append(
                await world.shipctl(
                    ["flags", "set", "variable=false", "--service", "api", "--env", "prod"] + extra, config: config))
            runs.append(
                await world.shipctl(["flags", "list", "--service", "api", "--env", "prod"] + extra, config: config))
        }
        runs.append(
            await world.shipctl(
                ["promote", "--service", "api", "--env", "prod", "--version", "2", "--json"], config: config))

        // Every flip fails (the service answers 404), the promote's too: it reverts and exits 1 for the flags.
        XCTAssertEqual(runs.map(\.status), [1, 1, 1, 1, 1, 1, 1], runs.map(\.output).joined(separator: "\n"))
        XCTAssertTrue(runs.last?.stdout.contains("reverted lambda secret-app:live: 100% on 1") == true)
        // The services did see the credentials, and quoted them back.
        let sent = try await world.hostileRequests().compactMap { $0["headers"]?["authorization"]?.stringValue }
        XCTAssertTrue(sent.contains(literal) && sent.contains(fromVariable), "\(sent)")
        let everything =
            runs.map(\.output).joined(separator: "\n")
            + (try String(contentsOfFile: world.auditLogPath, encoding: .utf8))
        XCTAssertTrue(everything.contains("Authorization was ***"), everything)
        XCTAssertTrue(everything.contains("metrics:***@127.0.0.1:9"), everything)
        for secret in [literal, fromVariable, password] {
            XCTAssertFalse(everything.contains(secret), "\(secret) leaked")
        }
    }
}
