import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// Issue "Survive faults", acceptance 1 and 3: a promote killed with SIGKILL at
/// every intent/result boundary is reported by `status`, refused by the next
/// `promote` (exit 5), and finished by `resume` or reverted by `abort`; two
/// promotes started together never both proceed.
final class InterruptionTests: WorldTestCase {

    /// A three-step canary with short pauses and a smoke test, for service `name`.
    static func config(service: String, function: String) -> String {
        SampleConfig.inWorld(
            services: """
                  \(service):
                    provider: lambda
                    lambda: { function: \(function), alias: live }
                    strategy:
                      steps:
                        - { weight: 10, pause: 1s }
                        - { weight: 50, pause: 1s }
                        - { weight: 100 }
                    smoke:
                      - { name: invoke, invoke: { payload: '{"ping": true}' } }
                """, prometheus: false)
    }

    func records(service: String) -> [JSONValue] {
        let text = (try? String(contentsOfFile: world.auditLogPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { JSONValue.parse(String($0)) }.filter {
            $0["service"]?.stringValue == service
        }
    }

    /// The records a kill may follow: the start and every intent and result that moves traffic.
    static func isBoundary(_ record: JSONValue) -> Bool {
        let action = record["action"]?.stringValue ?? ""
        let phase = record["phase"]?.stringValue ?? ""
        if action == AuditAction.deploymentStart { return true }
        return [AuditAction.trafficShift, AuditAction.trafficComplete].contains(action)
            && ["intent", "result"].contains(phase)
    }

    /// Starts `promote`, and SIGKILLs it and everything it started (a lost CI runner)
    /// as soon as the `boundary`-th boundary record is on disk. Returns that record.
    func promoteKilled(atBoundary boundary: Int, service: String, config: String) async throws -> JSONValue {
        try await promoteSignalled(SIGKILL, atBoundary: boundary, service: service, config: config).record
    }

    /// Starts `promote` and sends `signal` as soon as the `boundary`-th boundary record is on disk:
    /// SIGKILL to everything it started (a lost runner), another signal to shipctl alone (a cancelled
    /// job). Returns that record, when the signal went, and the process once it has ended.
    func promoteSignalled(
        _ signal: Int32, atBoundary boundary: Int, service: String,
        config: String
    ) async throws -> (record: JSONValue, signalled: Date, process: Process) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestWorld.shipctlBinary)
        process.arguments = ["promote", "--service", service, "--env", "prod", "--version", "2", "--config", config]
        // The kill must land between an intent and its result. Against moto on loopback
        // the signed Lambda API answers in a few milliseconds, less than it takes to see
        // a record and send a signal; the aws CLI's start-up leaves a window as wide as a
        // real network round trip, and its child dies with the runner, as on a lost CI runner.
        process.environment = try world.environmentThroughTheCLI()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let boundaries = records(service: service).filter(Self.isBoundary)
            if boundaries.count > boundary {
                let signalled = Date()
                if signal == SIGKILL {
                    ProcessTree.signal(process.processIdentifier, SIGKILL)
                } else {
                    kill(process.processIdentifier, signal)
                }
                // Bounded: a process that ignores the signal is killed when the test gives up on it.
                while process.isRunning && Date().timeIntervalSince(signalled) < 30 {
                    try await Task.sleep(for: .milliseconds(10))
                }
                if process.isRunning { ProcessTree.signal(process.processIdentifier, SIGKILL) }
                process.waitUntilExit()
                return (boundaries[boundary], signalled, process)
            }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(2))
        }
        ProcessTree.signal(process.processIdentifier, SIGKILL)
        throw TestWorldError(
            "promote of \(service) ended before boundary \(boundary) (\(records(service: service).count) records)")
    }

    func testSIGKILLAtEveryBoundaryIsReportedAndThenResumedOrAborted() async throws {
        // start + (intent, result) for each of the three steps
        let boundaries = 7
        let finishes = ["resume", "abort"]
        try await world.createFunctions(
            (0..<boundaries).flatMap { boundary in finishes.map { "kill-\(boundary)-\($0)" } }, versions: 2)
        for boundary in 0..<boundaries {
            for finish in finishes {
                let service = "kill\(boundary)\(finish)"
                let function = "kill-\(boundary)-\(finish)"
                let config = try world.writeConfig(Self.config(service: service, function: function))

                let killedAt = try await promoteKilled(atBoundary: boundary, service: service, config: config)
                let what =
                    "killed after \(killedAt["action"]?.stringValue ?? "?") \(killedAt["phase"]?.stringValue ?? "?") (\(killedAt["step"]?.stringValue ?? "")), then \(finish)"
                let written = records(service: service)
                let last = try XCTUnwrap(written.last)
                XCTAssertEqual(last["seq"], killedAt["seq"], "the kill should land right at the boundary: \(what)")
                let deployment = try XCTUnwrap(killedAt["deployment"]?.stringValue)

                let status = await world.shipctl(
                    ["status", "--service", service, "--env", "prod", "--json"], config: config)
                XCTAssertEqual(status.status, 0, status.output)
                let inFlight = JSONValue.parse(status.stdout)?["in_flight"]
                XCTAssertEqual(inFlight?["deployment"]?.stringValue, deployment, "\(what): \(status.stdout)")
                XCTAssertEqual(inFlight?["interrupted"], .bool(true), "\(what): \(status.stdout)")
                XCTAssertEqual(inFlight?["last_action"]?.stringValue, last["action"]?.stringValue, what)
                XCTAssertEqual(inFlight?["last_phase"]?.stringValue, last["phase"]?.stringValue, what)
                XCTAssertEqual(inFlight?["last_step"]?.stringValue, last["step"]?.stringValue, what)

                let again = await world.shipctl(
                    ["promote", "--service", service, "--env", "prod", "--version", "2"], config: config)
                XCTAssertEqual(again.status, 5, "\(what): \(again.output)")
                for expected in [
                    deployment, "live traffic:", "shipctl resume --service \(service) --env prod",
                    "shipctl abort --service \(service) --env prod",
                ] {
                    XCTAssertTrue(
                        again.stderr.contains(expected),
                        "\(what): the exit-5 message should name \(expected): \(again.stderr)")
                }

                let run = await world.shipctl([finish, "--service", service, "--env", "prod"], config: config)
                XCTAssertEqual(run.status, 0, "\(what): \(run.output)")
                let alias = try await world.alias(function)
                XCTAssertEqual(alias.version, finish == "resume" ? "2" : "1", what)
                XCTAssertTrue(alias.weights.isEmpty, "\(what): \(alias.weights)")
                let end = records(service: service).last { $0["action"]?.stringValue == AuditAction.deploymentFinish }
                XCTAssertEqual(end?["deployment"]?.stringValue, deployment, what)
                XCTAssertEqual(end?["outcome"]?.stringValue, finish == "resume" ? "succeeded" : "cancelled", what)

                let after = await world.shipctl(
                    ["status", "--service", service, "--env", "prod", "--json"], config: config)
                XCTAssertEqual(JSONValue.parse(after.stdout)?["in_flight"], .null, "\(what): \(after.stdout)")
                XCTAssertEqual(
                    JSONValue.parse(after.stdout)?["last_known_good"]?.stringValue, finish == "resume" ? "2" : "1", what
                )
                let verify = await world.shipctl(["audit", "verify"], config: config)
                XCTAssertEqual(verify.status, 0, "\(what): \(verify.output)")
            }
        }
    }

    /// A cancelled CI job: SIGTERM right after every boundary ends the process well inside the
    /// 7.5 s before GitHub's SIGKILL, with traffic all on one version and the deployment finished.
    func testSIGTERMAtEveryBoundaryEndsTheProcessWithinTheRevertsDeadline() async throws {
        let boundaries = 7
        try await world.createFunctions((0..<boundaries).map { "term-\($0)" }, versions: 2)
        for boundary in 0..<boundaries {
            let service = "term\(boundary)"
            let function = "term-\(boundary)"
            let config = try world.writeConfig(Self.config(service: service, function: function))
            let (record, signalled, process) = try await promoteSignalled(
                SIGTERM, atBoundary: boundary, service: service, config: config)
            let ended = Date().timeIntervalSince(signalled)
            let what =
                "SIGTERM after \(record["action"]?.stringValue ?? "?") \(record["phase"]?.stringValue ?? "?") (\(record["step"]?.stringValue ?? ""))"
            XCTAssertLessThan(ended, 7.5, "\(what): the process took \(ended) s to end")
            // A signal after the last traffic call may find the promote already done.
            let status = process.terminationStatus
            XCTAssertTrue([143, 0].contains(status), "\(what): exit \(status)")
            let alias = try await world.alias(function)
            XCTAssertEqual(alias.version, status == 0 ? "2" : "1", what)
            XCTAssertTrue(alias.weights.isEmpty, "\(what): \(alias.weights)")
            let end = records(service: service).last { $0["action"]?.stringValue == AuditAction.deploymentFinish }
            XCTAssertEqual(end?["outcome"]?.stringValue, status == 0 ? "succeeded" : "cancelled", what)
        }
        let verify = await world.shipctl(
            ["audit", "verify"], config: try world.writeConfig(Self.config(service: "term0", function: "term-0")))
        XCTAssertEqual(verify.status, 0, verify.output)
    }

    func testOnCancelHoldLeavesTheSplitForResume() async throws {
        try await world.createFunction("hold-app", versions: 2)
        let config = try world.writeConfig(
            Self.config(service: "api", function: "hold-app")
                .replacingOccurrences(of: "weight: 10, pause: 1s", with: "weight: 10, pause: 60s"))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestWorld.shipctlBinary)
        process.arguments = [
            "promote", "--service", "api", "--env", "prod", "--version", "2", "--on-cancel", "hold", "--config", config,
        ]
        process.environment = world.environment
        let stderrPath = world.directory.appendingPathComponent("hold.stderr").path
        XCTAssertTrue(FileManager.default.createFile(atPath: stderrPath, contents: nil))
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        try process.run()
        for _ in 0..<1500 where process.isRunning {
            if records(service: "api").contains(where: {
                $0["action"]?.stringValue == AuditAction.trafficShift && $0["phase"]?.stringValue == "result"
            }) {
                break
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        try await Task.sleep(for: .milliseconds(300))
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        let message = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""

        XCTAssertEqual(process.terminationStatus, 130, message)
        XCTAssertTrue(message.contains("shipctl resume --service api --env prod"), message)
        let held = try await world.alias("hold-app")
        XCTAssertEqual(held.version, "1")
        XCTAssertEqual(held.weights["2"], 0.1, "the split must stay where it was")
        let hold = records(service: "api").last
        XCTAssertEqual(hold?["action"]?.stringValue, AuditAction.deploymentHold)
        XCTAssertEqual(hold?["outcome"]?.stringValue, "cancelled")

        let resumed = await world.shipctl(
            ["resume", "--service", "api", "--env", "prod"],
            config: try world.writeConfig(Self.config(service: "api", function: "hold-app")))
        XCTAssertEqual(resumed.status, 0, resumed.output)
        XCTAssertTrue(resumed.stdout.contains("continuing from step 1/3"), resumed.stdout)
        let alias = try await world.alias("hold-app")
        XCTAssertEqual(alias.version, "2")
        XCTAssertTrue(alias.weights.isEmpty)
    }

    func testTwoConcurrentPromotesTwentyTimesExactlyOneProceeds() async throws {
        try await world.createFunction("race-app", versions: 2)
        // One step and no smoke test. Through the signed Lambda API the winner may be done
        // before the other process has even started: that one then finds nothing to promote.
        // What must hold every round is that exactly one of them moves traffic.
        let config = try world.writeConfig(
            SampleConfig.inWorld(
                services: """
                      api:
                        provider: lambda
                        lambda: { function: race-app, alias: live }
                    """, prometheus: false))
        var collisions = 0
        for round in 0..<20 {
            let version = round.isMultiple(of: 2) ? "2" : "1"
            let arguments = ["promote", "--service", "api", "--env", "prod", "--version", version]
            let environment = world.environment
            async let first = ShipctlRun.run(arguments + ["--config", config], environment: environment)
            async let second = ShipctlRun.run(arguments + ["--config", config], environment: environment)
            let runs = await [first, second]

            let statuses = runs.map(\.status).sorted()
            let late = runs.contains {
                $0.status == 0 && $0.stdout.contains("already serves 100% of traffic; nothing to promote")
            }
            XCTAssertTrue(statuses == [0, 4] || (statuses == [0, 0] && late), "round \(round): \(runs.map(\.output))")
            if let loser = runs.first(where: { $0.status == 4 }) {
                collisions += 1
                XCTAssertTrue(loser.stderr.contains("holds the lock") && loser.stderr.contains("pid"), loser.stderr)
            }
            let alias = try await world.alias("race-app")
            XCTAssertEqual(alias.version, version, "round \(round)")
            XCTAssertTrue(alias.weights.isEmpty, "round \(round)")
        }
        let starts = records(service: "api").filter { $0["action"]?.stringValue == AuditAction.deploymentStart }
        XCTAssertEqual(starts.count, 20, "one deployment moved traffic per round")
        XCTAssertGreaterThanOrEqual(collisions, 10, "most rounds should have the two processes meet at the lock")
        let verify = await world.shipctl(["audit", "verify"], config: config)
        XCTAssertEqual(verify.status, 0, verify.output)
    }
}
