import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// The cloud keeps the last word: the call that completes a promote writes a
/// witness onto the target, which `rollback` falls back on with no state at
/// all and which `audit verify` checks the log against.
final class WitnessTests: WorldTestCase {

    /// Acceptance: after a promote with local state, `rollback` from an empty folder
    /// (no state, no database) goes back to the previous version read from the alias;
    /// cutting records off the end of the log, or recomputing the whole chain, fails verify.
    func testTheAliasWitnessBacksRollbackAndVerify() async throws {
        try await world.createFunction("witness-app", versions: 2)
        let services = """
              api:
                provider: lambda
                lambda: { function: witness-app, alias: live }
                strategy:
                  steps:
                    - { weight: 10, pause: 1s }
                    - { weight: 100 }
            """
        let config = try world.writeConfig(SampleConfig.inWorld(services: services, prometheus: false))
        let promoted = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config)
        XCTAssertEqual(promoted.status, 0, promoted.output)

        let aliasDocument = JSONValue.parse(
            try await world.aws(["lambda", "get-alias", "--function-name", "witness-app", "--name", "live"]))
        let description = try XCTUnwrap(aliasDocument?["Description"]?.stringValue)
        let witness = try XCTUnwrap(Witness.parse(description), description)
        let records = try world.auditRecords()
        let deployment = records.first { $0["action"]?.stringValue == AuditAction.deploymentStart }?["deployment"]?
            .stringValue
        XCTAssertEqual(witness.previous, "1")
        XCTAssertEqual(witness.deployment, deployment)
        let seq = try XCTUnwrap(witness.seq)
        let cited = try XCTUnwrap(records.first { $0["seq"]?.doubleValue == Double(seq) })
        XCTAssertEqual(cited["action"]?.stringValue, AuditAction.trafficComplete)
        XCTAssertEqual(cited["phase"]?.stringValue, "intent")
        XCTAssertEqual(cited["hash"]?.stringValue.map { String($0.prefix(Witness.headLength)) }, witness.head)

        var verify = await world.shipctl(["audit", "verify"], config: config)
        XCTAssertEqual(verify.status, 0, verify.output)
        XCTAssertTrue(
            verify.stdout.contains("matches the witness on lambda witness-app:live (seq \(seq))"), verify.stdout)

        let original = try String(contentsOfFile: world.auditLogPath, encoding: .utf8)
        let lines = original.split(separator: "\n").map(String.init)
        try (lines.prefix(Int(seq) - 1).joined(separator: "\n") + "\n").write(
            toFile: world.auditLogPath, atomically: true, encoding: .utf8)
        verify = await world.shipctl(["audit", "verify"], config: config)
        XCTAssertEqual(verify.status, 1, verify.output)
        XCTAssertTrue(
            verify.stderr.contains("ends at seq \(seq - 1)") && verify.stderr.contains("cut off the end"), verify.stderr
        )

        var prev = AuditRecord.genesis
        var rewritten = ""
        for line in lines {
            let record = try XCTUnwrap(AuditLine(line).record)
            let (copy, text) = AuditRecord.make(
                event: record.event, seq: record.seq, prev: prev, actor: "mallory", run: record.run,
                now: try XCTUnwrap(Timestamp.parse(record.ts)))
            prev = copy.hash
            rewritten += text + "\n"
        }
        try rewritten.write(toFile: world.auditLogPath, atomically: true, encoding: .utf8)
        verify = await world.shipctl(["audit", "verify"], config: config)
        XCTAssertEqual(verify.status, 1, verify.output)
        XCTAssertTrue(
            verify.stderr.contains("audit record seq \(seq)") && verify.stderr.contains("the chain was rewritten"),
            verify.stderr)
        try original.write(toFile: world.auditLogPath, atomically: true, encoding: .utf8)

        let fresh = try world.writeConfig(
            SampleConfig.inWorld(services: services, prometheus: false)
                .replacingOccurrences(of: "\"${SHIPCTL_STATE_DIR}\"", with: ".shipctl"))
        let rollback = await world.shipctl(
            ["rollback", "--service", "api", "--env", "prod", "--no-flags"], config: fresh)
        XCTAssertEqual(rollback.status, 0, rollback.output)
        XCTAssertTrue(rollback.stdout.contains("was promoted from version 1"), rollback.stdout)
        let alias = try await world.alias("witness-app")
        XCTAssertEqual(alias.version, "1")
        XCTAssertTrue(alias.weights.isEmpty)
    }

    /// The same for Cloud Run: the completing `update-traffic` tags the revision
    /// traffic came from `previous` and `witness-<seq>-<head>`; verify checks the
    /// log against it, and a stateless rollback goes back to it.
    func testTheCloudRunPreviousTagBacksRollback() async throws {
        let revisions = try await world.createCloudRunService("witness-web", revisions: 2)
        let services = """
              web:
                provider: cloudrun
                cloudrun: { service: witness-web, region: us-central1, project: \(TestWorld.cloudRunProject) }
                strategy:
                  steps:
                    - { weight: 100 }
            """
        let config = try world.writeConfig(SampleConfig.inWorld(services: services, prometheus: false))
        let promoted = await world.shipctl(["promote", "--service", "web", "--env", "prod"], config: config)
        XCTAssertEqual(promoted.status, 0, promoted.output)
        var traffic = try await world.cloudRunTraffic("witness-web")
        XCTAssertEqual(traffic.percents, [revisions[1]: 100])
        XCTAssertEqual(traffic.tags["previous"], revisions[0])
        let witnessTag = try XCTUnwrap(traffic.tags.keys.first { $0.hasPrefix("witness-") }, "\(traffic.tags)")
        let verify = await world.shipctl(["audit", "verify"], config: config)
        XCTAssertEqual(verify.status, 0, verify.output)
        let cited = witnessTag.split(separator: "-")[1]
        XCTAssertTrue(
            verify.stdout.contains("matches the witness on cloudrun witness-web")
                && verify.stdout.contains("(seq \(cited))"), verify.stdout)
        let logLines = try String(contentsOfFile: world.auditLogPath, encoding: .utf8).split(separator: "\n")
        try (logLines.prefix(Int(cited)! - 1).joined(separator: "\n") + "\n").write(
            toFile: world.auditLogPath, atomically: true, encoding: .utf8)
        let cut = await world.shipctl(["audit", "verify"], config: config)
        XCTAssertEqual(cut.status, 1, cut.output)
        XCTAssertTrue(cut.stderr.contains("cut off the end"), cut.stderr)

        let fresh = try world.writeConfig(
            SampleConfig.inWorld(services: services, prometheus: false)
                .replacingOccurrences(of: "\"${SHIPCTL_STATE_DIR}\"", with: ".shipctl"))
        let rollback = await world.shipctl(
            ["rollback", "--service", "web", "--env", "prod", "--no-flags"], config: fresh)
        XCTAssertEqual(rollback.status, 0, rollback.output)
        traffic = try await world.cloudRunTraffic("witness-web")
        XCTAssertEqual(traffic.percents, [revisions[0]: 100])
    }
}
