import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// A dead holder's lock, raced for by eight processes at once: exactly one may
/// take it over (before the guard, two did in 3 of ~170 rounds and both moved traffic).
final class LockTakeoverRaceTests: WorldTestCase {
    override class var startsPrometheus: Bool { false }

    func testEightProcessesRacingADeadHoldersLockFiftyRounds() async throws {
        try await world.createFunction("takeover-app", versions: 2)
        let config = try world.writeConfig(
            SampleConfig.inWorld(
                services: """
                      api:
                        provider: lambda
                        lambda: { function: takeover-app, alias: live }
                    """, prometheus: false))
        let stateDirectory = URL(fileURLWithPath: try XCTUnwrap(world.environment["SHIPCTL_STATE_DIR"]))
        let store = LocalStateStore(directory: stateDirectory, actor: Actor(name: "ghost", run: nil))
        let arguments = ["abort", "--service", "api", "--env", "prod", "--config", config]
        let environment = world.environment
        let lockPath = store.lockPath(service: "api", env: "prod")
        try FileManager.default.createDirectory(
            atPath: (lockPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)

        for round in 0..<50 {
            let deployment = "api-prod-deploy-race-\(round)"
            try await store.append(
                AuditEvent(
                    deployment: deployment, service: "api", env: "prod", step: "start", phase: .info,
                    action: AuditAction.deploymentStart, args: ["stable": "1", "canary": "2"]))
            // A holder on this host whose process is gone, as a SIGKILL leaves it.
            let dead = LockHolder(
                host: ProcessInfo.processInfo.hostName, pid: 4_194_000, actor: "ghost", run: nil,
                deployment: deployment, started: Timestamp.format(Date()))
            try JSONEncoder().encode(dead).write(to: URL(fileURLWithPath: lockPath))

            let runs = await ShipctlRun.runConcurrently(
                arguments, environments: Array(repeating: environment, count: 8))
            XCTAssertEqual(runs.filter { $0.status != 0 && $0.status != 4 }.map(\.output), [], "round \(round)")
            let records = try await store.records { $0.field("deployment") == deployment }
            XCTAssertEqual(
                records.filter { $0.action == AuditAction.lockTakeover }.count, 1,
                "round \(round): exactly one takeover")
            XCTAssertEqual(
                records.filter { $0.action == AuditAction.rollback && $0.phase == .intent }.count, 1,
                "round \(round): exactly one revert")
            XCTAssertEqual(records.filter { $0.action == AuditAction.deploymentFinish }.count, 1, "round \(round)")
        }
        let verify = await world.shipctl(["audit", "verify"], config: config)
        XCTAssertEqual(verify.status, 0, verify.output)
    }

    /// A CI runner's disk goes with the job: with local state, promote says what that costs.
    func testAPromoteUnderCIWithLocalStateWarnsThatItServesOneMachine() async throws {
        try await world.createFunction("ci-app", versions: 2)
        let config = try world.writeConfig(
            SampleConfig.inWorld(
                services: """
                      api:
                        provider: lambda
                        lambda: { function: ci-app, alias: live }
                    """, prometheus: false))
        var environment = world.environment
        environment["CI"] = "true"
        let run = await ShipctlRun.run(
            ["promote", "--service", "api", "--env", "prod", "--version", "2", "--config", config],
            environment: environment)
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertTrue(
            run.stderr.contains("warning: state is kept in") && run.stderr.contains("does not span runners")
                && run.stderr.contains("state.url"), run.stderr)
        let quiet = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "1"], config: config)
        XCTAssertFalse(
            quiet.stderr.contains("does not span runners"), "outside CI a local store is what a laptop wants")
    }
}
