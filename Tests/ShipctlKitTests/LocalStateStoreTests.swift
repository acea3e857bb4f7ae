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

    func record(_ action: String, deployment: String = "d1", args: [String: JSONValue] = [:], outcome: String? = nil) async throws {
        try await store.append(AuditEvent(deployment: deployment, service: "api", env: "prod", step: "s", phase: .info,
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
        XCTAssertEqual(try String(contentsOf: victim, encoding: .utf8), "line one\nline two", "the link's target is untouched")
    }

    func testAWholeLastRecordWithoutItsNewlineIsKept() async throws {
        try await recordTwoDeployments()
        var bytes = try Data(contentsOf: URL(fileURLWithPath: store.auditPath))
        XCTAssertEqual(bytes.removeLast(), UInt8(ascii: "\n"))
        try bytes.write(to: URL(fileURLWithPath: store.auditPath))

        let before = try await store.history(service: "api", env: "prod")
        XCTAssertEqual(before.lastKnownGood, "3", "the record without its newline still counts")
        try await record("note")
        let verification = try await store.verify()
        XCTAssertTrue(verification.isValid, "\(String(describing: verification.firstBad))")
        XCTAssertEqual(verification.recordCount, 5)
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.tornPath), "nothing complete may be moved aside")
    }

    func testAnEmptyLockLeftByAKillDoesNotWedgeTheService() async throws {
        let path = store.lockPath(service: "api", env: "prod")
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data()))
        let holder = LockHolder.thisProcess(actor: Actor(name: "tester", run: nil), deployment: "d9")

        let taken = try await store.acquireLock(service: "api", env: "prod", holder: holder)
        guard case let .tookOver(previous) = taken else { return XCTFail("an empty lock file must be taken over, got \(taken)") }
        XCTAssertTrue(previous.contains("unreadable lock file"), previous)
        let current = await store.lockHolder(service: "api", env: "prod")
        XCTAssertEqual(current, holder)
        do {
            _ = try await store.acquireLock(service: "api", env: "prod", holder: LockHolder.thisProcess(actor: Actor(name: "other", run: nil), deployment: "d10"))
            XCTFail("a live holder's lock must not be taken")
        } catch {
            XCTAssertEqual(error.exitCode, 4)
        }
        await store.releaseLock(service: "api", env: "prod", holder: holder)
        let released = await store.lockHolder(service: "api", env: "prod")
        XCTAssertNil(released)
    }

    /// Records after the first one that breaks the chain never choose a rollback target.
    func testForgedRecordsAfterABreakAreNotUsed() async throws {
        try await recordTwoDeployments()
        let forged = #"{"action":"deployment.finish","actor":"mallory","args":{"version":"666"},"deployment":"d3","duration_ms":null,"env":"prod","outcome":"succeeded","phase":"info","prev":"\#(String(repeating: "f", count: 64))","run":null,"seq":5,"service":"api","step":"finish","ts":"2026-11-23T06:20:00.000Z","hash":"\#(String(repeating: "a", count: 64))"}"#
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: store.auditPath))
        handle.seekToEndOfFile()
        handle.write(Data((forged + "\n").utf8))
        try handle.close()

        let history = try await store.history(service: "api", env: "prod")
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
        _ = try await store.history(service: "api", env: "prod")
        XCTAssertTrue(FileManager.default.fileExists(atPath: store.snapshotPath(service: "api", env: "prod")))
        try await record(AuditAction.deploymentStart, deployment: "d3", args: ["stable": "3", "canary": "4"])
        try await record(AuditAction.trafficShift, deployment: "d3", args: ["weight": 10])
        var history = try await store.history(service: "api", env: "prod")
        XCTAssertEqual(history.inFlight?.canary, "4")
        XCTAssertEqual(history.inFlight?.lastWeight, 10)
        XCTAssertEqual(history.inFlight?.lastAction, AuditAction.trafficShift)
        XCTAssertEqual(history.events.map(\.seq), [2, 3, 4, 5, 6])

        let text = try String(contentsOfFile: store.auditPath, encoding: .utf8)
        try text.replacingOccurrences(of: "\"version\":\"2\"", with: "\"version\":\"7\"").write(toFile: store.auditPath, atomically: true, encoding: .utf8)
        history = try await store.history(service: "api", env: "prod")
        XCTAssertTrue(history.untrustedFrom?.contains("seq 2") == true, String(describing: history.untrustedFrom))
        XCTAssertEqual(history.inFlight?.deployment, "d1", "only the record before the changed one is used")
    }

    func testFilesAreTheOwnersOnly() async throws {
        try await record("note")
        _ = try await store.acquireLock(service: "api", env: "prod", holder: LockHolder.thisProcess(actor: Actor(name: "t", run: nil), deployment: "d"))
        func mode(_ path: String) throws -> Int {
            (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
        }
        XCTAssertEqual(try mode(store.auditPath), 0o600)
        XCTAssertEqual(try mode(store.lockPath(service: "api", env: "prod")), 0o600)
        XCTAssertEqual(try mode(directory.path), 0o700)
        XCTAssertEqual(try mode(directory.appendingPathComponent("locks").path), 0o700)
    }
}
