import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// The gates against inputs that once switched them off, through the real Prometheus: a stable version
/// that exports nothing, a stable counter that jumps by 2^64, and a metrics token command that hangs.
/// Each of these promoted a canary failing most of its requests.
final class GateInputTests: WorldTestCase {
    private static let judged = """
              metrics:
                - name: error-rate
                  prometheus:
                    failures: sum(increase(llm_requests_total{function="{{function}}",version="{{version}}",status="error"}[{{window}}]))
                    total: sum(increase(llm_requests_total{function="{{function}}",version="{{version}}"}[{{window}}]))
                  max_increase: 50%
        """

    private static let threshold = """
              metrics:
                - name: error-rate
                  prometheus: sum(rate(llm_requests_total{function="{{function}}",version="{{canary}}",status="error"}[10s])) / sum(rate(llm_requests_total{function="{{function}}",version="{{canary}}"}[10s]))
                  max: 0.05
        """

    /// The canary was reverted (exit 3, the alias back on version 1) and the output says why.
    private func assertReverted(
        _ run: ShipctlRun, _ function: String, saying reason: String, file: StaticString = #filePath, line: UInt = #line
    ) async throws {
        XCTAssertEqual(run.status, 3, run.output, file: file, line: line)
        XCTAssertTrue(run.output.contains(reason), run.output, file: file, line: line)
        let alias = try await world.alias(function)
        XCTAssertEqual(alias.version, "1", run.output, file: file, line: line)
        XCTAssertTrue(alias.weights.isEmpty, "\(alias.weights)", file: file, line: line)
    }

    private func config(function: String, steps: String, analysis: String, prometheus: String? = nil) throws
        -> String
    {
        var yaml = SampleConfig.inWorld(
            services: """
                  api:
                    provider: lambda
                    lambda: { function: \(function), alias: live }
                    strategy: { steps: \(steps) }
                    analysis:
                \(analysis)
                """)
        if let prometheus {
            yaml = yaml.replacingOccurrences(of: "prometheus: \"${PROMETHEUS_URL}\"", with: "prometheus: \(prometheus)")
        }
        return try world.writeConfig(yaml)
    }

    /// A canary judged by counts at 50 % for `pause`, then 100 %, evaluated every second.
    private func judgedConfig(function: String, pause: String, inconclusiveLimit: Int? = nil) throws -> String {
        try config(
            function: function, steps: "[ { weight: 50, pause: \(pause) }, { weight: 100 } ]",
            analysis: """
                      interval: 1s
                \(inconclusiveLimit.map { "      inconclusive_limit: \($0)\n" } ?? "")\
                      judge: { confidence: 0.98, min_requests: 5, max_extension: 4s, on_insufficient: revert }
                """ + "\n" + Self.judged)
    }

    /// Waits until the alias routes part of the traffic to the canary.
    private func canaryLive(_ function: String) async throws {
        for _ in 0..<100 {
            if try await !world.alias(function).weights.isEmpty { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestWorldError("\(function) never got a canary weight")
    }

    /// No stable series at all and a canary failing every request: nothing to compare with is no pass.
    func testAJudgedMetricWithoutStableTrafficWaitsAndNeverPasses() async throws {
        try await world.createFunction("no-stable", versions: 2)
        try await world.setExporter(function: "no-stable", version: "1", hidden: true)
        try await world.setBehaviour(version: "2", errorRate: 1.0, function: "no-stable")
        let config = try judgedConfig(function: "no-stable", pause: "5s")
        let run = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config)
        try await assertReverted(run, "no-stable", saying: "stable has served no counted request")
    }

    /// Stable's counter jumps by 2^64 mid-canary, then the canary fails 73 % of its requests against
    /// stable's 2 %: the jump is an inconclusive reading that says so, never a high-water mark that hides
    /// every later count.
    func testACounterThatJumpsBeyondAnyRateIsInconclusiveNotAHighWaterMark() async throws {
        try await world.createFunction("wrapped", versions: 2)
        try await world.setBehaviour(version: "1", errorRate: 0.02, function: "wrapped")
        let config = try judgedConfig(function: "wrapped", pause: "12s", inconclusiveLimit: 2)
        let world: TestWorld = world
        let promote = Task {
            await world.shipctl(["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config)
        }
        try await canaryLive("wrapped")
        try await world.setExporter(function: "wrapped", version: "1", jump: 18_446_744_073_709_551_616)
        try await Task.sleep(for: .milliseconds(2500))
        try await world.setBehaviour(version: "2", errorRate: 0.73, function: "wrapped")
        let run = await promote.value
        try await assertReverted(run, "wrapped", saying: "beyond any possible rate")
    }

    /// A `bearer_command` that hangs gets the read's 5 s, not 30 s: a 20 s step at a 5 s interval has its
    /// four evaluations, all inconclusive, and a canary failing every request is reverted, not promoted.
    func testAHangingTokenCommandCostsEachReadItsDeadlineAndTheCanaryIsNotPromoted() async throws {
        try await world.createFunction("token-hang", versions: 2)
        try await world.setBehaviour(version: "2", errorRate: 1.0, function: "token-hang")
        let config = try config(
            function: "token-hang", steps: "[ { weight: 50, pause: 20s }, { weight: 100 } ]",
            analysis: """
                      interval: 5s
                      inconclusive_limit: 3
                """ + "\n" + Self.threshold,
            prometheus: "{ url: \"${PROMETHEUS_URL}\", auth: { bearer_command: [sleep, \"60\"] } }")
        let run = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config, timeout: .seconds(120))
        try await assertReverted(run, "token-hang", saying: "printed no token within 5s, the read's deadline")
    }

    /// The token a `bearer_command` prints serves every step of a promote: the command runs once.
    func testTheTokenCommandRunsOncePerPromoteNotOncePerStep() async throws {
        try await world.createFunction("token-once", versions: 2)
        let count = world.directory.appendingPathComponent("token-runs.txt").path
        let config = try config(
            function: "token-once",
            steps: "[ { weight: 10, pause: 3s }, { weight: 50, pause: 3s }, { weight: 100 } ]",
            analysis: """
                      interval: 1s
                """ + "\n" + Self.threshold,
            prometheus:
                "{ url: \"${PROMETHEUS_URL}\", auth: { bearer_command: [sh, -c, \"echo run >> \(count); echo t0ken\"] } }"
        )
        let run = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config)
        XCTAssertEqual(run.status, 0, run.output)
        let runs = try String(contentsOfFile: count, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(runs.count, 1, "the token command ran once per step or per read: \(run.output)")
    }
}
