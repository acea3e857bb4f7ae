import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// The team backend against a real PostgreSQL: runners are separate processes
/// with their own working folders and one database, as CI runners and on-call
/// laptops are.
final class PostgresStateTests: WorldTestCase {
    override class var startsPrometheus: Bool { false }
    override class var startsPostgres: Bool { true }

    static func config(
        function: String, steps: String = "        - { weight: 10, pause: 1s }\n        - { weight: 100 }"
    ) -> String {
        """
        version: 1
        state: { url: "${SHIPCTL_STATE_URL}" }
        environments:
          prod: { region: us-east-1 }
        services:
          api:
            provider: lambda
            lambda: { function: \(function), alias: live }
            strategy:
              steps:
        \(steps)
        """
    }

    /// A runner: its own folder and its own name in the audit records.
    func runner(_ name: String) -> [String: String] {
        var environment = world.environment
        environment["GITHUB_ACTOR"] = name
        return environment
    }

    func shipctl(_ arguments: [String], config: String, as runner: String) async -> ShipctlRun {
        await ShipctlRun.run(arguments + ["--config", config], environment: self.runner(runner))
    }

    func auditRecords(config: String) async throws -> [JSONValue] {
        let shown = await world.shipctl(["audit", "show", "--json"], config: config)
        XCTAssertEqual(shown.status, 0, shown.output)
        return shown.stdout.split(separator: "\n").compactMap { JSONValue.parse(String($0)) }
    }

    /// Acceptance: B waits on A's lock (exit 4 naming A); A is killed; B sees the
    /// interrupted deployment (exit 5) and aborts it; A promotes a good version;
    /// C, a third folder, rolls back without --to; one chain holds every runner's records.
    func testTwoRunnersShareTheLockAndTheChainAcrossAKill() async throws {
        try await world.createFunction("team-app", versions: 2)
        let slow = try world.writeConfig(
            Self.config(
                function: "team-app", steps: "        - { weight: 10, pause: 120s }\n        - { weight: 100 }"),
            folder: "runner-a")
        let configB = try world.writeConfig(Self.config(function: "team-app"), folder: "runner-b")
        let configC = try world.writeConfig(Self.config(function: "team-app"), folder: "runner-c")

        let processA = Process()
        processA.executableURL = URL(fileURLWithPath: TestWorld.shipctlBinary)
        processA.arguments = ["promote", "--service", "api", "--env", "prod", "--version", "2", "--config", slow]
        processA.environment = runner("runner-a")
        processA.currentDirectoryURL = URL(fileURLWithPath: slow).deletingLastPathComponent()
        processA.standardOutput = FileHandle.nullDevice
        processA.standardError = FileHandle.nullDevice
        try processA.run()
        var shifted = false
        for _ in 0..<600 where !shifted && processA.isRunning {
            shifted = (try? await world.alias("team-app").weights["2"]) == 0.1
            if !shifted { try await Task.sleep(for: .milliseconds(50)) }
        }
        XCTAssertTrue(shifted, "runner A never shifted 10% to version 2")

        let blocked = await shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: configB, as: "runner-b")
        XCTAssertEqual(blocked.status, 4, blocked.output)
        XCTAssertTrue(
            blocked.stderr.contains("runner-a") && blocked.stderr.contains("pid \(processA.processIdentifier)"),
            blocked.stderr)
        let status = await shipctl(["status", "--service", "api", "--env", "prod"], config: configC, as: "runner-c")
        XCTAssertTrue(status.stdout.contains("held by") && status.stdout.contains("runner-a"), status.output)

        kill(processA.processIdentifier, SIGKILL)
        processA.waitUntilExit()
        // The database ends A's session when its connection drops; give it a moment.
        var interrupted = await shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: configB, as: "runner-b")
        for _ in 0..<20 where interrupted.status == 4 {
            try await Task.sleep(for: .milliseconds(250))
            interrupted = await shipctl(
                ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: configB, as: "runner-b")
        }
        XCTAssertEqual(interrupted.status, 5, interrupted.output)
        XCTAssertTrue(interrupted.stderr.contains("shipctl abort --service api --env prod"), interrupted.stderr)
        XCTAssertTrue(interrupted.stderr.contains("10% on 2"), interrupted.stderr)

        let aborted = await shipctl(["abort", "--service", "api", "--env", "prod"], config: configB, as: "runner-b")
        XCTAssertEqual(aborted.status, 0, aborted.output)
        var alias = try await world.alias("team-app")
        XCTAssertEqual(alias.version, "1")
        XCTAssertTrue(alias.weights.isEmpty)

        let configA = try world.writeConfig(Self.config(function: "team-app"), folder: "runner-a")
        let promoted = await shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: configA, as: "runner-a")
        XCTAssertEqual(promoted.status, 0, promoted.output)
        let live1 = try await world.alias("team-app")
        XCTAssertEqual(live1.version, "2")

        let rolledBack = await shipctl(
            ["rollback", "--service", "api", "--env", "prod", "--no-flags"], config: configC, as: "runner-c")
        XCTAssertEqual(rolledBack.status, 0, rolledBack.output)
        alias = try await world.alias("team-app")
        XCTAssertEqual(alias.version, "1")
        XCTAssertTrue(alias.weights.isEmpty)

        let verify = await shipctl(["audit", "verify"], config: configC, as: "runner-c")
        XCTAssertEqual(verify.status, 0, verify.output)
        let records = try await auditRecords(config: configC)
        XCTAssertEqual(records.compactMap { $0["seq"]?.doubleValue.map { Int($0) } }, Array(1...records.count))
        XCTAssertEqual(Set(records.compactMap { $0["actor"]?.stringValue }), ["runner-a", "runner-b", "runner-c"])
        XCTAssertTrue(
            records.contains {
                $0["action"]?.stringValue == AuditAction.lockTakeover && $0["actor"]?.stringValue == "runner-b"
            })
        XCTAssertFalse(
            FileManager.default.fileExists(
                atPath: URL(fileURLWithPath: configC).deletingLastPathComponent().appendingPathComponent(".shipctl")
                    .path),
            "with state.url nothing is written to the working folder")
    }

    /// Acceptance: 20 promotes of one service/env from 20 processes, 10 rounds: exactly one proceeds each round.
    func testTwentyProcessesTenRoundsExactlyOneProceeds() async throws {
        try await world.createFunction("crowd-app", versions: 2)
        // The winner holds the lock through a 6 s pause; a process that starts after it
        // finished finds the version live and does nothing.
        let config = try world.writeConfig(
            Self.config(function: "crowd-app", steps: "        - { weight: 50, pause: 6s }\n        - { weight: 100 }"))
        var startsSoFar = 0
        for round in 0..<10 {
            let version = round.isMultiple(of: 2) ? "2" : "1"
            let environments = (0..<20).map { runner("runner-\($0)") }
            let arguments = ["promote", "--service", "api", "--env", "prod", "--version", version, "--config", config]
            let runs = await ShipctlRun.runConcurrently(arguments, environments: environments)
            let statuses = runs.map(\.status)
            XCTAssertEqual(
                statuses.filter { $0 != 0 && $0 != 4 }, [],
                "round \(round): \(runs.filter { $0.status != 0 && $0.status != 4 }.map(\.output))")
            // On a loaded 2-core runner some of the 20 processes start only after the winner's
            // pause; they find the version live. A quarter finding the lock shows real contention.
            XCTAssertGreaterThanOrEqual(
                statuses.filter { $0 == 4 }.count, 5, "round \(round): many must find the lock held")
            let proceeded = runs.filter { $0.status == 0 && !$0.stdout.contains("nothing to promote") }
            XCTAssertEqual(proceeded.count, 1, "round \(round): exactly one may move traffic")
            let records = try await auditRecords(config: config)
            let starts = records.filter { $0["action"]?.stringValue == AuditAction.deploymentStart }.count
            XCTAssertEqual(starts - startsSoFar, 1, "round \(round): exactly one promote may proceed")
            startsSoFar = starts
            let alias = try await world.alias("crowd-app")
            XCTAssertEqual(alias.version, version, "round \(round)")
            XCTAssertTrue(alias.weights.isEmpty, "round \(round)")
        }
        let verify = await world.shipctl(["audit", "verify"], config: config)
        XCTAssertEqual(verify.status, 0, verify.output)
    }

    /// Acceptance: the table refuses UPDATE and DELETE; a superuser who bypasses
    /// the triggers is caught by `audit verify`, which names the seq.
    func testChangesBehindTheTriggersBackAreNamedByVerify() async throws {
        try await world.createFunction("tamper-app", versions: 2)
        let config = try world.writeConfig(Self.config(function: "tamper-app"))
        let promoted = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config)
        XCTAssertEqual(promoted.status, 0, promoted.output)

        let refusedUpdate = await world.psql("UPDATE shipctl_audit SET line = line WHERE seq = 2")
        XCTAssertNotEqual(refusedUpdate.status, 0)
        XCTAssertTrue(refusedUpdate.output.contains("append-only"), refusedUpdate.output)
        let refusedDelete = await world.psql("DELETE FROM shipctl_audit WHERE seq = 3")
        XCTAssertTrue(refusedDelete.output.contains("append-only"), refusedDelete.output)
        let refusedTruncate = await world.psql("TRUNCATE shipctl_audit")
        XCTAssertTrue(refusedTruncate.output.contains("append-only"), refusedTruncate.output)

        let original = await world.psql("SELECT line FROM shipctl_audit WHERE seq = 2")
        let changed = await world.psql(
            "SET session_replication_role = replica; UPDATE shipctl_audit SET line = replace(line, '\"actor\":\"', '\"actor\":\"x') WHERE seq = 2"
        )
        XCTAssertEqual(changed.status, 0, changed.output)
        var verify = await world.shipctl(["audit", "verify"], config: config)
        XCTAssertEqual(verify.status, 1, verify.output)
        XCTAssertTrue(verify.stderr.contains("seq 2") && verify.stderr.contains("was changed"), verify.stderr)
        let status = await world.shipctl(["status", "--service", "api", "--env", "prod", "--json"], config: config)
        XCTAssertTrue(status.stdout.contains("\"audit_untrusted_from\":\"record seq 2"), status.output)

        let line = original.output.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(
            of: "'", with: "''")
        let restored = await world.psql(
            "SET session_replication_role = replica; UPDATE shipctl_audit SET line = '\(line)' WHERE seq = 2")
        XCTAssertEqual(restored.status, 0, restored.output)
        verify = await world.shipctl(["audit", "verify"], config: config)
        XCTAssertEqual(verify.status, 0, verify.output)

        let deleted = await world.psql(
            "SET session_replication_role = replica; DELETE FROM shipctl_audit WHERE seq = 3")
        XCTAssertEqual(deleted.status, 0, deleted.output)
        verify = await world.shipctl(["audit", "verify"], config: config)
        XCTAssertEqual(verify.status, 1, verify.output)
        XCTAssertTrue(verify.stderr.contains("seq 3 is missing"), verify.stderr)
    }

    /// Acceptance: a verified local log moves into Postgres and verifies there,
    /// witness included; a second migration and a broken log are refused.
    func testStateMigrateMovesAVerifiedLocalLog() async throws {
        try await world.createFunction("move-app", versions: 2)
        let local = try world.writeConfig(
            SampleConfig.inWorld(
                services: """
                      api:
                        provider: lambda
                        lambda: { function: move-app, alias: live }
                    """, prometheus: false))
        let promoted = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: local)
        XCTAssertEqual(promoted.status, 0, promoted.output)
        let localCount = try world.auditRecords().count

        let team = try world.writeConfig(Self.config(function: "move-app"))
        let stateDirectory = world.directory.appendingPathComponent("state").path
        let migrated = await world.shipctl(["state", "migrate", "--from", stateDirectory], config: team)
        XCTAssertEqual(migrated.status, 0, migrated.output)
        XCTAssertTrue(migrated.stdout.contains("copied \(localCount) records"), migrated.stdout)
        let verify = await world.shipctl(["audit", "verify"], config: team)
        XCTAssertEqual(verify.status, 0, verify.output)
        XCTAssertTrue(
            verify.stdout.contains("\(localCount) records")
                && verify.stdout.contains("matches the witness on lambda move-app:live"), verify.stdout)

        let again = await world.shipctl(["state", "migrate", "--from", stateDirectory], config: team)
        XCTAssertEqual(again.status, 2, again.output)
        XCTAssertTrue(again.stderr.contains("migrated before"), again.stderr)

        let rollback = await world.shipctl(
            ["rollback", "--service", "api", "--env", "prod", "--no-flags"], config: team)
        XCTAssertEqual(rollback.status, 0, rollback.output)
        let live2 = try await world.alias("move-app")
        XCTAssertEqual(live2.version, "1", "the migrated history names version 1 as the one to go back to")
    }

    /// With the team database down, rollback still goes back: the alias witness names the version.
    func testRollbackWorksWithTheDatabaseDown() async throws {
        try await world.createFunction("down-app", versions: 2)
        let config = try world.writeConfig(Self.config(function: "down-app"))
        let promoted = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config)
        XCTAssertEqual(promoted.status, 0, promoted.output)
        await world.stop("postgres")

        let rollback = await world.shipctl(
            ["rollback", "--service", "api", "--env", "prod", "--no-flags"], config: config)
        XCTAssertEqual(rollback.status, 0, rollback.output)
        XCTAssertTrue(
            rollback.stderr.contains("cannot read the audit log")
                && rollback.stderr.contains("cannot reach the state database"), rollback.stderr)
        XCTAssertTrue(rollback.stdout.contains("was promoted from version 1"), rollback.stdout)
        let alias = try await world.alias("down-app")
        XCTAssertEqual(alias.version, "1")
        XCTAssertTrue(alias.weights.isEmpty)
    }

    /// A canary whose pause checks its lock every second.
    static func watchedConfig(function: String, pause: String) -> String {
        config(function: function, steps: "        - { weight: 10, pause: \(pause) }\n        - { weight: 100 }") + """

                analysis:
                  interval: 1s
            """
    }

    /// The promote's lock session ended by the server mid-canary: the promote notices at its next
    /// interval and stops shifting; a second runner cannot move the target while the first is alive;
    /// the deployment finishes once.
    func testALockSessionEndedByTheServerStopsTheCanaryAndNobodyElseMovesIt() async throws {
        try await world.createFunction("lost-lock-app", versions: 2)
        let config = try world.writeConfig(Self.watchedConfig(function: "lost-lock-app", pause: "30s"))
        let output = world.directory.appendingPathComponent("runner-a.out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        let runnerA = try world.startShipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config,
            environment: runner("runner-a"), output: handle)
        var holding = false
        for _ in 0..<200 where !holding {
            try await Task.sleep(for: .milliseconds(100))
            holding = try await world.alias("lost-lock-app").weights["2"] == 0.1
        }
        XCTAssertTrue(holding, "runner A never shifted")

        // 0x7368_6970: the namespace of shipctl's deployment locks.
        let ended = await world.psql(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' AND classid = 1936222576"
        )
        XCTAssertEqual(ended.output.trimmingCharacters(in: .whitespacesAndNewlines), "1", ended.output)
        let runnerB = await shipctl(["abort", "--service", "api", "--env", "prod"], config: config, as: "runner-b")
        // Runner A holds the lock again while it reverts (exit 4), or, on a busy machine, has already noticed,
        // reverted and finished before B read the log (nothing left to abort): either way B moves nothing.
        XCTAssertTrue(
            runnerB.status == 4
                || (runnerB.status == 0 && runnerB.output.contains("no deployment is in flight; nothing to abort")),
            runnerB.output)
        XCTAssertFalse(runnerB.output.contains("all traffic on version"), runnerB.output)

        let started = Date()
        while runnerA.isRunning && Date().timeIntervalSince(started) < 30 {
            try await Task.sleep(for: .milliseconds(100))
        }
        if runnerA.isRunning { runnerA.terminate() }
        try handle.close()
        let said = try String(contentsOf: output, encoding: .utf8)
        XCTAssertLessThan(Date().timeIntervalSince(started), 10, "runner A should notice within an interval: \(said)")
        XCTAssertNotEqual(runnerA.terminationStatus, 0, said)
        XCTAssertTrue(
            said.contains("lost the deployment lock of api/prod: the database ended the lock's session"), said)
        let alias = try await world.alias("lost-lock-app")
        XCTAssertEqual(alias.version, "1", said)
        XCTAssertTrue(alias.weights.isEmpty, said)

        let records = try await auditRecords(config: config)
        let finishes = records.filter { $0["action"]?.stringValue == "deployment.finish" }
        XCTAssertEqual(finishes.count, 1, "\(finishes)")
        let verify = await world.shipctl(["audit", "verify"], config: config)
        XCTAssertEqual(verify.status, 0, verify.output)
    }

    /// Two repositories share the team database and both call their service `api`: each one's history,
    /// lock, in-flight check and rollback target are its own target's.
    func testTwoTargetsUnderOneServiceNameNeverDecideForEachOther() async throws {
        try await world.createFunction("repo-x-fn", versions: 4)
        try await world.createFunction("repo-y-fn", versions: 2)
        let configX = try world.writeConfig(Self.config(function: "repo-x-fn"), folder: "repo-x")
        let slowX = try world.writeConfig(
            Self.config(
                function: "repo-x-fn", steps: "        - { weight: 10, pause: 120s }\n        - { weight: 100 }"),
            folder: "repo-x-slow")
        let configY = try world.writeConfig(Self.config(function: "repo-y-fn"), folder: "repo-y")
        for version in ["2", "3"] {
            let promoted = await shipctl(
                ["promote", "--service", "api", "--env", "prod", "--version", version], config: configX, as: "repo-x")
            XCTAssertEqual(promoted.status, 0, promoted.output)
        }
        let output = world.directory.appendingPathComponent("repo-x-slow.out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        let inFlightX = try world.startShipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "4"], config: slowX,
            environment: runner("repo-x"), output: handle)
        var shifted = false
        for _ in 0..<300 where !shifted && inFlightX.isRunning {
            try await Task.sleep(for: .milliseconds(100))
            shifted = try await world.alias("repo-x-fn").weights["4"] == 0.1
        }
        XCTAssertTrue(shifted, "repo X never shifted 10% to version 4")

        // X holds its lock with a deployment in flight; Y neither waits on it nor sees it as its own.
        let promotedY = await shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: configY, as: "repo-y")
        XCTAssertEqual(promotedY.status, 0, promotedY.output)
        let statusY = await shipctl(["status", "--service", "api", "--env", "prod"], config: configY, as: "repo-y")
        XCTAssertFalse(statusY.stdout.contains("held by"), statusY.output)
        XCTAssertFalse(statusY.stdout.contains("repo-x"), statusY.output)
        let abortY = await shipctl(["abort", "--service", "api", "--env", "prod"], config: configY, as: "repo-y")
        XCTAssertEqual(abortY.status, 0, abortY.output)
        XCTAssertTrue(abortY.stdout.contains("nothing to abort"), abortY.output)
        let canaryX = try await world.alias("repo-x-fn")
        XCTAssertEqual(canaryX.weights["4"], 0.1, "Y's abort must not touch X's canary")

        // X's history knows 1, 2 and 3 as good; Y's only 1 and 2: Y goes back to 1.
        let rollbackY = await shipctl(
            ["rollback", "--service", "api", "--env", "prod", "--no-flags"], config: configY, as: "repo-y")
        XCTAssertEqual(rollbackY.status, 0, rollbackY.output)
        let aliasY = try await world.alias("repo-y-fn")
        XCTAssertEqual(aliasY.version, "1", rollbackY.output)
        XCTAssertTrue(aliasY.weights.isEmpty)

        inFlightX.terminate()
        inFlightX.waitUntilExit()
        try handle.close()
        let said = try String(contentsOf: output, encoding: .utf8)
        XCTAssertEqual(inFlightX.terminationStatus, 143, said)
        let aliasX = try await world.alias("repo-x-fn")
        XCTAssertEqual(aliasX.version, "3", said)
        XCTAssertTrue(aliasX.weights.isEmpty, said)
        let verify = await shipctl(["audit", "verify"], config: configY, as: "repo-y")
        XCTAssertEqual(verify.status, 0, verify.output)
    }

    /// A server that ends idle sessions sooner than a pause lasts: the lock's connection is used every interval.
    func testALockOutlivesAnIdleSessionTimeoutShorterThanThePause() async throws {
        try await world.createFunction("idle-app", versions: 2)
        let config = try world.writeConfig(Self.watchedConfig(function: "idle-app", pause: "6s"))
        for sql in ["ALTER SYSTEM SET idle_session_timeout = '2s'", "SELECT pg_reload_conf()"] {
            let set = await world.psql(sql)
            XCTAssertEqual(set.status, 0, set.output)
        }
        let promoted = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config)
        XCTAssertEqual(promoted.status, 0, promoted.output)
        XCTAssertFalse(promoted.output.contains("lost the deployment lock"), promoted.output)
        let alias = try await world.alias("idle-app")
        XCTAssertEqual(alias.version, "2")
    }

    /// A session that holds the database while a rollback runs: started, it holds its lock until stopped.
    private func holdDatabase(_ sql: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "psql", "-h", "127.0.0.1", "-p", String(world.postgresPort ?? 0), "-U", "postgres", "-d", "postgres",
            "-v", "ON_ERROR_STOP=1", "-c", sql,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// The chain's advisory lock held by another session, then the audit table locked as a migration,
    /// VACUUM FULL or REINDEX locks it: each rollback gives its log a moment and moves traffic anyway.
    func testRollbackMovesTrafficWhileTheDatabaseIsLockedByAnotherSession() async throws {
        try await world.createFunction("locked-db-app", versions: 2)
        let config = try world.writeConfig(Self.config(function: "locked-db-app"))
        // 0x7368_6970_6374_6c31, the key every append takes for the length of its transaction.
        let holds = [
            "SELECT pg_advisory_lock(8316012643365448753); SELECT pg_sleep(120)",
            "BEGIN; LOCK TABLE shipctl_audit IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(120)",
        ]
        for hold in holds {
            let promoted = await world.shipctl(
                ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config)
            XCTAssertEqual(promoted.status, 0, promoted.output)
            let holder = try holdDatabase(hold)
            try await Task.sleep(for: .seconds(1))
            XCTAssertTrue(holder.isRunning, "the session holding the database ended early")

            let started = Date()
            let rollback = await world.shipctl(
                ["rollback", "--service", "api", "--env", "prod", "--no-flags"], config: config, timeout: .seconds(60))
            let elapsed = Date().timeIntervalSince(started)
            // Ended from the server's side: psql waiting on its query does not end on SIGTERM.
            let ended = await world.psql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(120)%' AND pid <> pg_backend_pid()"
            )
            XCTAssertEqual(ended.status, 0, ended.output)
            kill(holder.processIdentifier, SIGKILL)
            holder.waitUntilExit()

            XCTAssertEqual(rollback.status, 0, "\(hold): \(rollback.output)")
            XCTAssertLessThan(elapsed, 10, "\(hold): rollback took \(elapsed) s: \(rollback.output)")
            XCTAssertTrue(rollback.stderr.contains("did not finish"), rollback.stderr)
            let alias = try await world.alias("locked-db-app")
            XCTAssertEqual(alias.version, "1", hold)
            XCTAssertTrue(alias.weights.isEmpty)
        }
        let verify = await world.shipctl(["audit", "verify"], config: config)
        XCTAssertEqual(verify.status, 0, verify.output)
    }

    /// A database that cannot be reached stops promote (exit 1, the host, the fix)
    /// without printing the password; a schema from a newer shipctl is refused.
    func testABadDatabaseStopsPromoteAndANewerSchemaIsRefused() async throws {
        try await world.createFunction("bad-db-app", versions: 2)
        var environment = world.environment
        environment["TEAM_DB_PASSWORD"] = "Sup3rSecretDbPassw0rd"
        let unreachable = try world.writeConfig(
            Self.config(function: "bad-db-app")
                .replacingOccurrences(
                    of: "${SHIPCTL_STATE_URL}",
                    with: "postgres://deploy:${TEAM_DB_PASSWORD}@127.0.0.1:1/shipctl?sslmode=disable"))
        let refused = await ShipctlRun.run(
            ["promote", "--service", "api", "--env", "prod", "--version", "2", "--config", unreachable],
            environment: environment)
        XCTAssertEqual(refused.status, 1, refused.output)
        XCTAssertTrue(
            refused.stderr.contains("cannot reach the state database postgres://deploy@127.0.0.1:1/shipctl"),
            refused.stderr)
        XCTAssertTrue(refused.stderr.contains("hint:"), refused.stderr)
        XCTAssertFalse(refused.output.contains("Sup3rSecretDbPassw0rd"))
        let live3 = try await world.alias("bad-db-app")
        XCTAssertEqual(live3.version, "1", "nothing may move without state")

        // This server has no TLS: a URL that requires it is refused, not silently sent in the clear.
        let port = try XCTUnwrap(world.postgresPort)
        let tlsRequired = try world.writeConfig(
            Self.config(function: "bad-db-app")
                .replacingOccurrences(
                    of: "${SHIPCTL_STATE_URL}", with: "postgres://postgres@127.0.0.1:\(port)/postgres?sslmode=require"))
        let noTLS = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: tlsRequired)
        XCTAssertEqual(noTLS.status, 1, noTLS.output)
        XCTAssertTrue(
            noTLS.stderr.contains(
                "cannot reach the state database postgres://postgres@127.0.0.1:\(port)/postgres?sslmode=require: "
                    + "the server at 127.0.0.1:\(port) does not offer TLS, and state.url requires it"), noTLS.stderr)
        XCTAssertTrue(noTLS.stderr.contains("turn on TLS (ssl = on)"), noTLS.stderr)

        // Another kind of server on the port (the hostile peer speaks HTTP) is named as such.
        let httpPort = try XCTUnwrap(URL(string: world.hostileURL)?.port)
        let notPostgres = try world.writeConfig(
            Self.config(function: "bad-db-app")
                .replacingOccurrences(
                    of: "${SHIPCTL_STATE_URL}",
                    with: "postgres://postgres@127.0.0.1:\(httpPort)/postgres?sslmode=disable"))
        let http = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: notPostgres)
        XCTAssertEqual(http.status, 1, http.output)
        XCTAssertTrue(
            http.stderr.contains("nothing answered as PostgreSQL at 127.0.0.1:\(httpPort) within 5s"), http.stderr)

        let config = try world.writeConfig(Self.config(function: "bad-db-app"))
        let first = await world.shipctl(["audit", "verify"], config: config)
        XCTAssertEqual(first.status, 0, first.output)
        // doctor shows the schema and the lock table, then names a schema this shipctl cannot read.
        let healthy = await world.shipctl(["doctor"], config: config)
        XCTAssertTrue(
            healthy.stdout.contains(
                "\n  ✓ schema: version 2, as this shipctl expects; lock table shipctl_locks readable ("),
            healthy.stdout)
        let newer = await world.psql("INSERT INTO shipctl_schema (version) VALUES (99)")
        XCTAssertEqual(newer.status, 0, newer.output)
        let doctor = await world.shipctl(["doctor"], config: config)
        XCTAssertEqual(doctor.status, 1, doctor.output)
        XCTAssertTrue(
            doctor.stdout.contains("\n  ✗ audit log: ")
                && doctor.stdout.contains(
                    "schema version 99, newer than this shipctl understands (2)\n"
                        + "      fix: upgrade shipctl on this machine"),
            doctor.stdout)
        XCTAssertFalse(doctor.stdout.contains("lock api/prod: free"), "a lock the store could not read is not free")
        let tooNew = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config)
        XCTAssertEqual(tooNew.status, 1, tooNew.output)
        XCTAssertTrue(
            tooNew.stderr.contains("schema version 99, newer than this shipctl understands (2)"), tooNew.stderr)
    }
}
