import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// The spool through the binary: a rollback while the log is away is kept, written later under the name of
/// who rolled back, only into its own log; a line planted in the checkout never enters the chain.
final class SpoolTests: WorldTestCase {
    override class var startsPrometheus: Bool { false }

    private func config(function: String, key: String, state: String) -> String {
        """
        version: 1
        state: { dir: "\(state)" }
        environments:
          prod: { region: us-east-1 }
        services:
          \(key):
            provider: lambda
            lambda: { function: \(function), alias: live }
            strategy: { steps: [ { weight: 100 } ] }
        """
    }

    private func acting(_ name: String, run: String) {
        world.environment["GITHUB_ACTOR"] = name
        world.environment["GITHUB_RUN_ID"] = run
    }

    private func records(in state: String) throws -> [JSONValue] {
        let text = try String(contentsOfFile: "\(state)/audit.jsonl", encoding: .utf8)
        return text.split(separator: "\n").compactMap { JSONValue.parse(String($0)) }
    }

    func testARollbackWhileTheLogIsAwayIsKeptAndWrittenLaterAsItsActorOnlyIntoItsLog() async throws {
        try await world.createFunction("spool-prod", versions: 2)
        try await world.createFunction("spool-staging", versions: 2)
        let prodState = world.directory.appendingPathComponent("prod-state").path
        let stagingState = world.directory.appendingPathComponent("staging-state").path
        let prod = try world.writeConfig(
            config(function: "spool-prod", key: "api", state: prodState), name: "prod.yaml", folder: "checkout")
        let staging = try world.writeConfig(
            config(function: "spool-staging", key: "web", state: stagingState), name: "staging.yaml",
            folder: "checkout")
        let spool = URL(fileURLWithPath: prod).deletingLastPathComponent().appendingPathComponent(
            ".shipctl/spool.jsonl")

        acting("carol", run: "900")
        let first = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: prod)
        XCTAssertEqual(first.status, 0, first.output)

        // The prod log goes away: its folder is a file now.
        try FileManager.default.moveItem(atPath: prodState, toPath: prodState + ".away")
        try "".write(toFile: prodState, atomically: true, encoding: .utf8)
        acting("alice", run: "1001")
        let rollback = await world.shipctl(
            ["rollback", "--service", "api", "--env", "prod", "--to", "1", "--reason", "3 a.m."], config: prod)
        XCTAssertEqual(rollback.status, 0, rollback.output)
        let alias = try await world.alias("spool-prod")
        XCTAssertEqual(alias.version, "1")
        XCTAssertTrue(rollback.output.contains("waits in \(spool.path)"), rollback.output)
        let kept = try String(contentsOf: spool, encoding: .utf8)
        XCTAssertTrue(kept.contains("\"action\":\"rollback\""), kept)

        // A staging promote from the same checkout takes its own lock: prod's records are not written there.
        acting("bob", run: "2002")
        let stagingRun = await world.shipctl(
            ["promote", "--service", "web", "--env", "prod", "--version", "2"], config: staging)
        XCTAssertEqual(stagingRun.status, 0, stagingRun.output)
        XCTAssertFalse(
            try records(in: stagingState).contains { $0["action"]?.stringValue == AuditAction.rollback },
            "a prod rollback was written into staging's log")
        XCTAssertTrue(try String(contentsOf: spool, encoding: .utf8).contains("\"action\":\"rollback\""))

        // Someone plants a rollback to a version never released, and a finish, in the checkout's spool.
        let planted = ["rollback", "deployment.finish"].map { action in
            JSONValue.object([
                "at": .string(Timestamp.format(Date())), "deployment": "api-prod-rollback-forged", "service": "api",
                "env": "prod", "step": "rollback", "phase": "result", "action": .string(action),
                "args": .object(["to": "666", "from": "1"]), "outcome": "ok", "actor": "alice",
                "log": .string(prodState),
                "mac": .string(String(repeating: "ab", count: 32)),
            ]).canonical
        }
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: spool.path))
        handle.seekToEndOfFile()
        handle.write(Data((planted.joined(separator: "\n") + "\n").utf8))
        try handle.close()

        // The prod log is back; bob's next promote takes the lock and writes what waits for it.
        try FileManager.default.removeItem(atPath: prodState)
        try FileManager.default.moveItem(atPath: prodState + ".away", toPath: prodState)
        let again = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: prod)
        XCTAssertEqual(again.status, 0, again.output)
        XCTAssertTrue(again.output.contains("2 line(s) of \(spool.path) were refused"), again.output)
        let log = try records(in: prodState)
        let rolledBack = try XCTUnwrap(log.first { $0["action"]?.stringValue == AuditAction.rollback }, "\(log)")
        XCTAssertEqual(rolledBack["actor"]?.stringValue, "alice", "\(rolledBack)")
        XCTAssertEqual(rolledBack["run"]?.stringValue, "1001", "\(rolledBack)")
        XCTAssertNotNil(rolledBack["args"]?["spooled_at"], "\(rolledBack)")
        // Hashes and MACs are hex, so the planted version is looked for where a record names it, not anywhere.
        XCTAssertFalse(
            log.contains {
                $0["deployment"]?.stringValue == "api-prod-rollback-forged" || $0["args"]?["to"]?.stringValue == "666"
            }, "a planted line entered the chain")
        let starts = log.enumerated().filter { $0.element["action"]?.stringValue == AuditAction.deploymentStart }
        let rollbackIndex = try XCTUnwrap(log.firstIndex { $0["action"]?.stringValue == AuditAction.rollback })
        XCTAssertLessThan(rollbackIndex, try XCTUnwrap(starts.last?.offset), "the kept rollback comes first")
        let verify = await world.shipctl(["audit", "verify"], config: prod)
        XCTAssertEqual(verify.status, 0, verify.output)
        let status = await world.shipctl(["status", "--service", "api", "--env", "prod", "--json"], config: prod)
        XCTAssertEqual(JSONValue.parse(status.stdout)?["last_known_good"]?.stringValue, "2", status.output)
    }
}
