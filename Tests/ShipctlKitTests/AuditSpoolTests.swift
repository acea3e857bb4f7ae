import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// The spool that keeps records of actions already taken while the log does not answer.
final class AuditSpoolTests: XCTestCase {
    var folder: URL!
    var spool: AuditSpool!

    override func setUp() {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("spool-\(UUID().uuidString)")
        spool = AuditSpool(path: folder.appendingPathComponent("spool.jsonl").path)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: folder)
    }

    func event(
        _ action: String, deployment: String = "d1", phase: AuditEvent.Phase = .info, args: [String: JSONValue] = [:],
        outcome: String? = nil
    ) -> AuditEvent {
        AuditEvent(
            deployment: deployment, service: "api", env: "prod", step: "s", phase: phase, action: action, args: args,
            outcome: outcome)
    }

    /// Kept while the log refuses; written in order, with the time they happened, once it answers.
    func testKeptRecordsAreWrittenInOrderWhenTheLogAnswers() async throws {
        let store = InMemoryStateStore()
        try await store.append(event(AuditAction.deploymentStart, args: ["stable": "1", "canary": "2"]))
        let happened = Date(timeIntervalSince1970: 1_800_000_000)
        try spool.keep(event(AuditAction.trafficRevert, phase: .intent, args: ["to": "1"]), at: happened, log: "memory")
        try spool.keep(
            event(AuditAction.deploymentFinish, args: ["version": "1"], outcome: "rolled-back"), at: happened,
            log: "memory")
        XCTAssertEqual(spool.pendingCount, 2)

        store.refuseAppends(true)
        let refused = await spool.deliver(to: store)
        XCTAssertEqual(refused.written, 0)
        XCTAssertEqual(refused.remaining, 2)
        XCTAssertNotNil(refused.error)

        store.refuseAppends(false)
        let delivered = await spool.deliver(to: store)
        XCTAssertEqual(delivered.written, 2)
        XCTAssertEqual(delivered.remaining, 0)
        XCTAssertEqual(spool.pendingCount, 0)
        XCTAssertEqual(store.actions, ["deployment.start info", "traffic.revert intent", "deployment.finish info"])
        XCTAssertEqual(store.all.last?.args["spooled_at"]?.stringValue, Timestamp.format(happened))
        let history = try await store.history(.apiProd)
        XCTAssertNil(history.inFlight)
    }

    /// A deployment someone else finished meanwhile (an `abort` from another runner) does not end twice.
    func testTheEndOfADeploymentAnotherRunnerFinishedIsNotWritten() async throws {
        let store = InMemoryStateStore()
        try await store.append(event(AuditAction.deploymentStart, args: ["stable": "1", "canary": "2"]))
        try spool.keep(
            event(AuditAction.deploymentFinish, args: ["version": "1"], outcome: "rolled-back"), at: Date(),
            log: "memory")
        try await store.append(event(AuditAction.deploymentFinish, args: ["version": "1"], outcome: "cancelled"))

        let delivery = await spool.deliver(to: store)
        XCTAssertEqual(delivery.dropped, 1)
        XCTAssertEqual(delivery.written, 0)
        XCTAssertEqual(store.all.filter { $0.action == AuditAction.deploymentFinish }.map(\.outcome), ["cancelled"])
        XCTAssertEqual(spool.pendingCount, 0)
    }

    /// Lines planted in the checkout (a forged end of another runner's deployment, a rollback to a version
    /// never released) are not signed by this machine's key: refused, moved aside, never in the chain. A
    /// line of an action no revert writes is refused even when signed; one of another log waits for it.
    func testPlantedLinesAreRefusedAndALineOfAnotherLogWaitsForIt() async throws {
        let store = InMemoryStateStore()
        try await store.append(event(AuditAction.deploymentStart, args: ["stable": "1", "canary": "2"]))
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let forged = JSONValue.object([
            "at": .string(Timestamp.format(Date())), "deployment": "d1", "service": "api", "env": "prod", "step": "s",
            "phase": "info", "action": .string(AuditAction.deploymentFinish), "args": .object([:]),
            "outcome": "succeeded", "actor": "mallory", "log": "memory",
            "mac": .string(String(repeating: "0", count: 64)),
        ]).canonical
        try (forged + "\n").write(toFile: spool.path, atomically: true, encoding: .utf8)
        try spool.keep(event(AuditAction.deploymentStart), at: Date(), log: "memory")
        try spool.keep(event(AuditAction.trafficRevert, args: ["to": "1"]), at: Date(), log: "elsewhere")
        let delivery = await spool.deliver(to: store)
        XCTAssertEqual(delivery.refused, 2)
        XCTAssertEqual(delivery.written, 0)
        XCTAssertEqual(delivery.elsewhere, 1)
        XCTAssertEqual(delivery.remaining, 0)
        XCTAssertEqual(store.actions, ["deployment.start info"])
        XCTAssertEqual(spool.pendingCount(for: "elsewhere"), 1)
        let refused = try String(contentsOfFile: spool.refusedPath, encoding: .utf8)
        XCTAssertTrue(refused.contains("mallory"), refused)
    }

    /// The record written later names who acted, not who delivered it.
    func testAKeptRecordNamesWhoActed() async throws {
        let alice = AuditSpool(path: spool.path, actor: Actor(name: "alice", run: "1001"))
        try alice.keep(event(AuditAction.rollback, args: ["to": "1"], outcome: "ok"), at: Date(), log: "memory")
        let store = InMemoryStateStore()
        let delivery = await AuditSpool(path: spool.path, actor: Actor(name: "bob", run: "2002")).deliver(to: store)
        XCTAssertEqual(delivery.written, 1)
        XCTAssertEqual(store.all.last?.actor, "alice")
        XCTAssertEqual(store.all.last?.run, "1001")
    }

    /// A line torn by a crash mid-write is not read as a record; the whole ones before it are.
    func testATornLastLineIsLeftOut() async throws {
        try spool.keep(
            event(AuditAction.trafficRevert, phase: .result, args: ["to": "1"], outcome: "ok"), at: Date(),
            log: "memory")
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: spool.path))
        handle.seekToEndOfFile()
        handle.write(Data(#"{"action":"deployment.fin"#.utf8))
        try handle.close()
        XCTAssertEqual(spool.pendingCount, 1)
        try spool.keep(
            event(AuditAction.deploymentFinish, args: ["version": "1"], outcome: "rolled-back"), at: Date(),
            log: "memory")
        XCTAssertEqual(spool.pendingCount, 3, "the torn line stays apart from the next record")
        let store = InMemoryStateStore()
        try await store.append(event(AuditAction.deploymentStart, args: ["stable": "1", "canary": "2"]))
        let delivery = await spool.deliver(to: store)
        XCTAssertEqual(delivery.written, 2)
        XCTAssertEqual(store.actions, ["deployment.start info", "traffic.revert result", "deployment.finish info"])
    }
}
