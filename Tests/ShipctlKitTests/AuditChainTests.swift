import Foundation
import ShipctlKit
import XCTest

final class AuditChainTests: XCTestCase {
    func makeStore() throws -> LocalStateStore {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString)")
        return LocalStateStore(directory: dir, actor: Actor(name: "tester", run: nil))
    }

    func appendFive(_ store: LocalStateStore) async throws {
        for step in 1...5 {
            try await store.append(
                AuditEvent(
                    deployment: "d1", service: "api", env: "prod", step: "step \(step)", phase: .intent,
                    action: "traffic.shift", args: ["weight": .number(Double(step) * 10), "note": "ünïcode \"quoted\""])
            )
        }
    }

    /// Concurrent writers (separate stores, separate file descriptions, as separate
    /// processes would have) never interleave partial lines or fork the chain.
    func testConcurrentWritersKeepOneUnbrokenChain() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString)")
        let writers = 4
        let each = 100
        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    let store = LocalStateStore(directory: dir, actor: Actor(name: "writer\(writer)", run: nil))
                    for index in 0..<each {
                        _ = try? await store.append(
                            AuditEvent(
                                deployment: "d\(writer)", service: "api", env: "prod", step: "\(index)", phase: .info,
                                action: "analysis", args: ["padding": .string(String(repeating: "x", count: 3000))]))
                    }
                }
            }
        }
        let store = LocalStateStore(directory: dir, actor: Actor(name: "reader", run: nil))
        let result = try await store.verify()
        XCTAssertTrue(result.isValid, "\(String(describing: result.firstBad))")
        XCTAssertEqual(result.recordCount, writers * each)
        let value1 = try await store.records().map(\.seq)
        XCTAssertEqual(value1, (1...Int64(writers * each)).map { $0 })
    }

    func testAnUntouchedLogVerifies() async throws {
        let store = try makeStore()
        try await appendFive(store)
        let result = try await store.verify()
        XCTAssertTrue(result.isValid)
        XCTAssertEqual(result.recordCount, 5)
        let value2 = try await store.records().map(\.seq)
        XCTAssertEqual(value2, [1, 2, 3, 4, 5])
    }

    /// Acceptance: editing any byte of an audit record makes verify fail and name that record.
    func testEditingAnyByteOfAnyRecordIsDetectedAtThatRecord() async throws {
        let store = try makeStore()
        try await appendFive(store)
        let original = try Data(contentsOf: URL(fileURLWithPath: store.auditPath))
        let lineStarts =
            [0] + original.enumerated().filter { $0.element == UInt8(ascii: "\n") }.map { $0.offset + 1 }.dropLast()
        for offset in 0..<original.count where original[offset] != UInt8(ascii: "\n") {
            var tampered = original
            tampered[offset] = original[offset] == UInt8(ascii: "1") ? UInt8(ascii: "2") : UInt8(ascii: "1")
            try tampered.write(to: URL(fileURLWithPath: store.auditPath))
            let expectedLine = lineStarts.lastIndex { $0 <= offset }! + 1
            let result = try await store.verify()
            XCTAssertEqual(
                result.firstBad?.line, expectedLine,
                "byte \(offset) changed, but verify reported \(String(describing: result.firstBad))")
        }
    }

    func testATornLastLineIsReportedAndTheRecordsBeforeItStillCount() async throws {
        let store = try makeStore()
        try await appendFive(store)
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: store.auditPath))
        handle.seekToEndOfFile()
        handle.write(Data("{\"action\":\"traffic.sh".utf8))
        try handle.close()
        let result = try await store.verify()
        XCTAssertEqual(result.firstBad?.line, 6)
        XCTAssertEqual(result.recordCount, 5)
        // The next append moves the torn fragment aside and continues the chain.
        try await store.append(
            AuditEvent(deployment: "d1", service: "api", env: "prod", step: "x", phase: .info, action: "note"))
        let value3 = try await store.verify().isValid
        XCTAssertTrue(value3)
        let value4 = try await store.records().count
        XCTAssertEqual(value4, 6)
    }

    /// One record reads as one: "1 record before it verifies", not "1 records before it verify".
    func testATornLineAfterOneRecordIsCountedInWords() async throws {
        let store = try makeStore()
        try await store.append(
            AuditEvent(deployment: "d1", service: "api", env: "prod", step: "x", phase: .info, action: "note"))
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: store.auditPath))
        handle.seekToEndOfFile()
        handle.write(Data("{\"action\":\"traffic.sh".utf8))
        try handle.close()
        let reason = try await store.verify().firstBad?.reason ?? ""
        XCTAssertTrue(reason.hasSuffix("; 1 record before it verifies"), reason)
    }

    func testASecretInArgsIsNotWrittenWhenRecordedThroughTheRecorder() async throws {
        let store = try makeStore()
        let recorder = DeploymentRecorder(
            deployment: "d", scope: .apiProd, store: store, redactor: Redactor(secrets: ["s3cr3t-token-value"]))
        try await recorder.record(
            AuditEvent(
                deployment: "d", service: "api", env: "prod", step: "x", phase: .info, action: "flag.set",
                args: ["token": "s3cr3t-token-value", "nested": ["k": "s3cr3t-token-value"]]))
        let text = try String(contentsOfFile: store.auditPath, encoding: .utf8)
        XCTAssertFalse(text.contains("s3cr3t-token-value"))
        XCTAssertTrue(text.contains("***"))
    }

    func testRollbackTargetIsThePreviousKnownGoodVersion() async throws {
        let store = try makeStore()
        let recorder = DeploymentRecorder(
            deployment: "d", scope: .apiProd, store: store, redactor: Redactor(secrets: []))
        try await recorder.record(
            AuditEvent(
                deployment: "d", service: "api", env: "prod", step: "start", phase: .info,
                action: AuditAction.deploymentStart, args: ["stable": "1", "canary": "2"]))
        var history = try await store.history(.apiProd)
        XCTAssertEqual(history.inFlight?.canary, "2")
        XCTAssertEqual(history.rollbackTarget(live: nil), "1")
        try await recorder.record(
            AuditEvent(
                deployment: "d", service: "api", env: "prod", step: "finish", phase: .info,
                action: AuditAction.deploymentFinish, args: ["version": "2"], outcome: "succeeded"))
        history = try await store.history(.apiProd)
        XCTAssertNil(history.inFlight)
        XCTAssertEqual(history.lastKnownGood, "2")
        XCTAssertEqual(history.rollbackTarget(live: nil), "1")
    }

    /// With neither a CI actor nor USER/LOGNAME (a cron job, a bare container), the record names the
    /// account the process runs as, not `unknown`.
    func testTheActorFallsBackToTheAccountName() {
        let actor = Actor.current(environment: [:])
        XCTAssertNotEqual(actor.name, "unknown")
        XCTAssertEqual(actor.name, String(cString: getpwuid(getuid()).pointee.pw_name))
        XCTAssertEqual(Actor.current(environment: ["USER": "dana"]).name, "dana")
        XCTAssertEqual(Actor.current(environment: ["USER": "dana", "GITHUB_ACTOR": "ci-bot"]).name, "ci-bot")
    }
}
