import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// `status --watch` on one runner follows a promote another runner started, through the team backend
/// (the real PostgreSQL), until it ends, and exits as it ended.
final class StatusWatchTests: WorldTestCase {
    override class var startsPostgres: Bool { true }

    /// Runner A promotes from its folder, runner B watches from its own; they share the database only.
    func configs(function: String, steps: String) throws -> (a: String, b: String) {
        let yaml = SampleConfig.inWorld(
            services: LambdaPromoteTests.lambdaService(function: function, steps: steps)
        ).replacingOccurrences(
            of: "state: { dir: \"${SHIPCTL_STATE_DIR}\" }", with: "state: { url: \"${SHIPCTL_STATE_URL}\" }")
        return (try world.writeConfig(yaml, folder: "runner-a"), try world.writeConfig(yaml, folder: "runner-b"))
    }

    /// Starts a promote on runner A and returns once runner B's status shows it in flight.
    func startPromote(version: String, config: (a: String, b: String)) async throws -> Process {
        let promote = try world.startShipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", version], config: config.a)
        for _ in 0..<100 {
            let status = await world.shipctl(
                ["status", "--service", "api", "--env", "prod", "--json"], config: config.b)
            if JSONValue.parse(status.stdout)?["in_flight"]?["deployment"]?.stringValue != nil { return promote }
            try await Task.sleep(for: .milliseconds(200))
        }
        promote.terminate()
        throw TestWorldError("the promote of version \(version) never showed in flight")
    }

    func watch(_ config: String) async -> ShipctlRun {
        await world.shipctl(
            ["status", "--service", "api", "--env", "prod", "--watch", "--every", "500ms"], config: config,
            timeout: .seconds(150))
    }

    func testAPromoteOnAnotherRunnerIsFollowedToItsEndAndItsExitMirrored() async throws {
        try await world.createFunction("watch-app", versions: 3)
        let good = try configs(
            function: "watch-app", steps: "          - { weight: 50, pause: 6s }\n          - { weight: 100 }")

        // Nothing in flight: the status, and a word that there is nothing to follow.
        let idle = await watch(good.b)
        XCTAssertEqual(idle.status, 0, idle.output)
        XCTAssertEqual(idle.stdout.split(separator: "\n").last, "nothing in flight to watch")

        let promote = try await startPromote(version: "2", config: good)
        let followed = await watch(good.b)
        promote.waitUntilExit()
        XCTAssertEqual(promote.terminationStatus, 0)
        XCTAssertEqual(followed.status, 0, followed.output)
        let lines = followed.stdout.split(separator: "\n").map(String.init)
        let deployment = try XCTUnwrap(
            lines.first { $0.hasPrefix("watching api/prod ") }?.split(separator: " ")[2], followed.stdout)
        XCTAssertTrue(
            lines.contains { $0.contains(" \(deployment) [step 2/2] traffic.complete result → ok") }, followed.stdout)
        XCTAssertTrue(lines.contains("api/prod live traffic: 100% on 2"), followed.stdout)
        XCTAssertEqual(
            lines.last, "api/prod: deployment \(deployment) ended succeeded; live traffic: 100% on 2", followed.stdout)

        // A canary that turns bad while it is followed: reverted, and the watch exits 3 with the reason.
        let bad = try configs(
            function: "watch-app", steps: "          - { weight: 10, pause: 90s }\n          - { weight: 100 }")
        let reverted = try await startPromote(version: "3", config: bad)
        let world: TestWorld = self.world
        let arguments = ["status", "--service", "api", "--env", "prod", "--watch", "--every", "500ms", "--json"]
        let watched = Task { await world.shipctl(arguments, config: bad.b, timeout: .seconds(150)) }
        try await Task.sleep(for: .seconds(3))
        try await world.setBehaviour(version: "3", errorRate: 0.5, function: "watch-app")
        let revertedRun = await watched.value
        reverted.waitUntilExit()
        XCTAssertEqual(reverted.terminationStatus, 3)
        XCTAssertEqual(revertedRun.status, 3, revertedRun.output)
        let events = revertedRun.stdout.split(separator: "\n").compactMap { JSONValue.parse(String($0)) }
        XCTAssertEqual(events.count, revertedRun.stdout.split(separator: "\n").count, "every line is JSON")
        XCTAssertTrue(
            events.contains {
                $0["event"]?.stringValue == "audit-record" && $0["action"]?.stringValue == "traffic.revert"
            }, revertedRun.stdout)
        let end = try XCTUnwrap(events.last { $0["event"]?.stringValue == "watch-end" }, revertedRun.stdout)
        XCTAssertEqual(end["outcome"]?.stringValue, "rolled-back")
        XCTAssertTrue(end["reason"]?.stringValue?.contains("error-rate") ?? false, "\(end)")
        // Under --json the failure that carries the exit code is the last event, as for every command.
        XCTAssertEqual(events.last?["event"]?.stringValue, "error")
        XCTAssertTrue(
            events.last?["message"]?.stringValue?.hasSuffix("traffic reverted to version 2") ?? false,
            revertedRun.stdout)
    }

    /// On a terminal, `status --watch` prints lines people read: none wider than 160 columns, no JSON, and
    /// no number with more than four significant digits (an evaluation was once a 600-column JSON line).
    func testOnATerminalTheWatchPrintsShortHumanLines() async throws {
        try await world.createFunction("watch-tty", versions: 2)
        let config = try configs(
            function: "watch-tty", steps: "          - { weight: 50, pause: 6s }\n          - { weight: 100 }")
        let promote = try await startPromote(version: "2", config: config)
        let typescript = world.directory.appendingPathComponent("watch-typescript").path
        let command = [
            TestWorld.shipctlBinary, "status", "--service", "api", "--env", "prod", "--watch", "--every", "1s",
            "--config", config.b,
        ].map { "'\($0)'" }.joined(separator: " ")
        var environment = world.environment
        environment["TERM"] = "xterm-256color"
        let run = await SystemProcessRunner(environment: environment).run(
            ProcessRequest(
                "script", ["-q", "-e", "-c", command, typescript], timeout: .seconds(120), retry: .never,
                mutating: true))
        promote.waitUntilExit()
        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
        let lines = try String(contentsOfFile: typescript, encoding: .utf8).replacingOccurrences(of: "\r", with: "")
            .split(separator: "\n").map(String.init)
            .filter { !$0.hasPrefix("Script started on ") && !$0.hasPrefix("Script done on ") }
        XCTAssertTrue(lines.contains { $0.contains("traffic.shift") }, lines.joined(separator: "\n"))
        let decimal = try NSRegularExpression(pattern: #"(?<![\d.:T-])\d+\.\d+(?:e[-+]?\d+)?"#)
        for line in lines {
            XCTAssertLessThanOrEqual(line.count, 160, line)
            XCTAssertFalse(line.contains("{\"") || line.contains("\":"), "JSON on a terminal: \(line)")
            let range = NSRange(line.startIndex..., in: line)
            for match in decimal.matches(in: line, range: range) {
                let number = (line as NSString).substring(with: match.range)
                let mantissa = number.split(separator: "e").first.map(String.init) ?? number
                let digits = mantissa.filter(\.isNumber).drop { $0 == "0" }
                XCTAssertLessThanOrEqual(digits.count, 4, "\(number) in: \(line)")
            }
        }
    }

    /// A watch that looks every 8 s at a promote writing a dozen records between two looks prints every
    /// one of them, in order: no record of the deployment is skipped.
    func testEveryRecordSinceTheLastLookIsPrintedInOrder() async throws {
        try await world.createFunction("watch-burst", versions: 2)
        let steps = (1...9).map { "          - { weight: \($0 * 10), pause: 1s }" }.joined(separator: "\n")
        let config = try configs(function: "watch-burst", steps: steps + "\n          - { weight: 100 }")
        let promote = try await startPromote(version: "2", config: config)
        let run = await world.shipctl(
            ["status", "--service", "api", "--env", "prod", "--watch", "--every", "8s", "--json"], config: config.b,
            timeout: .seconds(150))
        promote.waitUntilExit()
        XCTAssertEqual(run.status, 0, run.output)
        let printed = run.stdout.split(separator: "\n").compactMap { JSONValue.parse(String($0)) }
            .filter { $0["event"]?.stringValue == "audit-record" }.compactMap { $0["seq"]?.doubleValue }
        let first = try XCTUnwrap(printed.first, run.stdout)
        let last = try XCTUnwrap(printed.last, run.stdout)
        XCTAssertGreaterThan(printed.count, 12, "the promote wrote fewer records than a burst needs: \(printed)")
        XCTAssertEqual(printed, Array(stride(from: first, through: last, by: 1)), "records skipped or out of order")
    }
}
