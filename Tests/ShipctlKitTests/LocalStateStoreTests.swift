import Foundation
import ShipctlKit
import XCTest

/// The local store attacked the way a careless user, a crash or a co-tenant of
/// the machine would: each test failed on the store before these fixes.
final class LocalStateStoreTests: XCTestCase {
    var directory: URL!
    var store: LocalStateStore!

    override func setUp() {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("local-store-\(UUID().uuidString)")
        store = LocalStateStore(directory: directory, actor: Actor(name: "tester", run: nil))
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: directory)
    }

    func record(
        _ action: String, deployment: String = "d1", phase: AuditEvent.Phase = .info, args: [String: JSONValue] = [:],
        outcome: String? = nil
    ) async throws {
        try await store.append(
            AuditEvent(
                deployment: deployment, service: "api", env: "prod", step: "s", phase: phase,
                action: action, args: args, outcome: outcome))
    }

    /// Two good deployments: 1 → 2 → 3, so the rollback target is 2.
    func recordTwoDeployments() async throws {
        try await record(AuditAction.deploymentStart, deployment: "d1", args: ["stable": "1", "canary": "2"])
        try await record(AuditAction.deploymentFinish, deployment: "d1", args: ["version": "2"], outcome: "succeeded")
        try await record(AuditAction.deploymentStart, deployment: "d2", args: ["stable": "2", "canary": "3"])
        try await record(AuditAction.deploymentFinish, deployment: "d2", args: ["version": "3"], outcome: "succeeded")
    }

    func testTheLogIsNeverWrittenThroughASymlink() async throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let victim = directory.appendingPathComponent("victim.txt")
        try "line one\nline two".write(to: victim, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: store.auditPath, withDestinationPath: victim.path)

        do {
            try await record("note")
            XCTFail("appending through a symlink must fail")
        } catch {
            XCTAssertTrue("\(error)".contains("symbolic link"), "\(error)")
        }
        XCTAssertEqual(
            try String(contentsOf: victim, encoding: .utf8), "line one\nline two", "the link's target is untouched")
    }

    func testAWholeLastRecordWithoutItsNewlineIsKept() async throws {
        try await recordTwoDeployments()
        var bytes = try Data(contentsOf: URL(fileURLWithPath: store.auditPath))
        XCTAssertEqual(bytes.removeLast(), UInt8(ascii: "\n"))
        try bytes.write(to: URL(fileURLWithPath: store.auditPath))

        let before = try await store.history(.apiProd)
        XCTAssertEqual(before.lastKnownGood, "3", "the record without its newline still counts")
        try await record("note")
        let verification = try await store.verify()
        XCTAssertTrue(verification.isValid, "\(String(describing: verification.firstBad))")
        XCTAssertEqual(verification.recordCount, 5)
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.tornPath), "nothing complete may be moved aside")
    }

    func testAnEmptyLockLeftByAKillDoesNotWedgeTheService() async throws {
        let path = store.lockPath(service: "api", env: "prod")
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data()))
        let holder = LockHolder.thisProcess(actor: Actor(name: "tester", run: nil), deployment: "d9")

        let taken = try await store.acquireLock(.apiProd, holder: holder)
        guard case .tookOver(let previous) = taken else {
            return XCTFail("an empty lock file must be taken over, got \(taken)")
        }
        XCTAssertTrue(previous.contains("unreadable lock file"), previous)
        let current = await store.lockHolder(.apiProd)
        XCTAssertEqual(current, holder)
        do {
            _ = try await store.acquireLock(
                .apiProd, holder: LockHolder.thisProcess(actor: Actor(name: "other", run: nil), deployment: "d10"))
            XCTFail("a live holder's lock must not be taken")
        } catch {
            XCTAssertEqual(error.exitCode, 4)
        }
        await store.releaseLock(.apiProd, holder: holder)
        let released = await store.lockHolder(.apiProd)
        XCTAssertNil(released)
    }

    /// Records after the first one that breaks the chain never choose a rollback target.
    func testForgedRecordsAfterABreakAreNotUsed() async throws {
        try await recordTwoDeployments()
        let forged =
            #"{"action":"deployment.finish","actor":"mallory","args":{"version":"666"},"deployment":"d3","duration_ms":null,"env":"prod","outcome":"succeeded","phase":"info","prev":"\#(String(repeating: "f", count: 64))","run":null,"seq":5,"service":"api","step":"finish","ts":"2026-11-23T06:20:00.000Z","hash":"\#(String(repeating: "a", count: 64))"}"#
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: store.auditPath))
        handle.seekToEndOfFile()
        handle.write(Data((forged + "\n").utf8))
        try handle.close()

        let history = try await store.history(.apiProd)
        XCTAssertEqual(history.lastKnownGood, "3", "the forged finish of 666 is not used")
        XCTAssertEqual(history.rollbackTarget(live: nil), "2")
        XCTAssertTrue(history.untrustedFrom?.contains("seq 5") == true, String(describing: history.untrustedFrom))
        let records = try await store.records()
        XCTAssertEqual(records.count, 4)
    }

    /// The snapshot that makes reads fast is only used while the record it ends
    /// on is still where it was; an edit before it rebuilds the history and is caught.
    func testTheHistorySnapshotFollowsTheLogAndIsDroppedWhenTheLogChanges() async throws {
        try await recordTwoDeployments()
        _ = try await store.history(.apiProd)
        XCTAssertTrue(FileManager.default.fileExists(atPath: store.snapshotPath(service: "api", env: "prod")))
        try await record(AuditAction.deploymentStart, deployment: "d3", args: ["stable": "3", "canary": "4"])
        try await record(AuditAction.trafficShift, deployment: "d3", args: ["weight": 10])
        var history = try await store.history(.apiProd)
        XCTAssertEqual(history.inFlight?.canary, "4")
        XCTAssertEqual(history.inFlight?.lastWeight, 10)
        XCTAssertEqual(history.inFlight?.lastAction, AuditAction.trafficShift)
        XCTAssertEqual(history.events.map(\.seq), [2, 3, 4, 5, 6])

        let text = try String(contentsOfFile: store.auditPath, encoding: .utf8)
        try text.replacingOccurrences(of: "\"version\":\"2\"", with: "\"version\":\"7\"").write(
            toFile: store.auditPath, atomically: true, encoding: .utf8)
        history = try await store.history(.apiProd)
        XCTAssertTrue(history.untrustedFrom?.contains("seq 2") == true, String(describing: history.untrustedFrom))
        XCTAssertEqual(history.inFlight?.deployment, "d1", "only the record before the changed one is used")
    }

    /// One log, one service name, two targets (two repositories' functions): each target's history is
    /// its own, records written before targets were named count for both, and the snapshot of one
    /// target is never read as the other's.
    func testRecordsOfAnotherTargetNeverDecide() async throws {
        let x = StateScope(service: "api", env: "prod", target: "lambda//us-east-1/x-fn/live")
        let y = StateScope(service: "api", env: "prod", target: "lambda//us-east-1/y-fn/live")
        func named(_ scope: StateScope, _ args: [String: JSONValue]) -> [String: JSONValue] {
            args.merging([StateScope.targetArgument: .string(scope.target)]) { $1 }
        }
        // Written before targets were named: both read it as theirs.
        try await record(AuditAction.deploymentStart, deployment: "old", args: ["stable": "1", "canary": "2"])
        try await record(AuditAction.deploymentFinish, deployment: "old", args: ["version": "2"], outcome: "succeeded")
        try await record(AuditAction.deploymentStart, deployment: "x1", args: named(x, ["stable": "2", "canary": "3"]))
        try await record(
            AuditAction.deploymentFinish, deployment: "x1", args: named(x, ["version": "3"]), outcome: "succeeded")
        try await record(
            AuditAction.rollback, deployment: "y-rollback", phase: .result, args: named(y, ["from": "2", "to": "1"]),
            outcome: "ok")
        try await record(AuditAction.deploymentStart, deployment: "x2", args: named(x, ["stable": "3", "canary": "4"]))
        try await record(AuditAction.trafficShift, deployment: "x2", args: ["weight": 10])

        let historyY = try await store.history(y)
        XCTAssertNil(historyY.inFlight, "X's canary is not Y's interrupted deployment")
        XCTAssertEqual(historyY.knownGood, ["1"], "Y rolled back from 2 to 1; X's 3 was never Y's")
        XCTAssertFalse(
            historyY.events.contains { $0.deployment.hasPrefix("x") }, "\(historyY.events.map(\.deployment))")

        let historyX = try await store.history(x)
        XCTAssertEqual(historyX.inFlight?.deployment, "x2")
        XCTAssertEqual(historyX.inFlight?.lastWeight, 10)
        XCTAssertEqual(historyX.knownGood, ["1", "2", "3"])
        XCTAssertEqual(historyX.rollbackTarget(live: nil), "3", "an in-flight canary goes back to its stable version")

        // The snapshot now holds X's history; Y's read must not start from it.
        try await record(
            AuditAction.deploymentFinish, deployment: "x2", args: named(x, ["version": "4"]), outcome: "succeeded")
        let laterY = try await store.history(y)
        XCTAssertEqual(laterY.knownGood, ["1"])
        let laterX = try await store.history(x)
        XCTAssertEqual(laterX.lastKnownGood, "4")
    }

    func testFilesAreTheOwnersOnly() async throws {
        try await record("note")
        _ = try await store.acquireLock(
            .apiProd, holder: LockHolder.thisProcess(actor: Actor(name: "t", run: nil), deployment: "d"))
        func mode(_ path: String) throws -> Int {
            (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
        }
        XCTAssertEqual(try mode(store.auditPath), 0o600)
        XCTAssertEqual(try mode(store.lockPath(service: "api", env: "prod")), 0o600)
        XCTAssertEqual(try mode(directory.path), 0o700)
        XCTAssertEqual(try mode(directory.appendingPathComponent("locks").path), 0o700)
    }
}
