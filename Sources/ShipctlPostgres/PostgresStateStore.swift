import Foundation
import Logging
import NIOSSL
import PostgresNIO
import ShipctlKit

/// The team backend: the audit chain and the deployment locks in PostgreSQL,
/// shared by every CI runner and laptop. Records are the same lines as the
/// local log (same canonical JSON and hash chain); appends serialise on a
/// transaction-level advisory lock, and unique `seq` and `prev` keep the chain
/// linear even without it. A deployment lock is a session-level advisory lock
/// on a connection held for the deployment, so it dies with its holder's
/// connection (a killed process, a lost VM), plus a row naming the holder.
public actor PostgresStateStore: StateStore {
    public nonisolated let location: String
    public nonisolated var spansMachines: Bool { true }

    private let url: DatabaseURL
    private let password: String?
    private let writer: ShipctlKit.Actor
    static let silent = Logger(label: "shipctl.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
    private let logger = PostgresStateStore.silent
    private var schemaChecked = false
    private var lockConnections: [String: PostgresConnection] = [:]
    private var connectionCount = 0
    /// Once the database could not be reached, calls fail at once for a moment
    /// instead of waiting out the connect timeout again (a rollback with the
    /// database down must not pay it for every record it tries to write); after
    /// that moment the next call tries again, so a restarted database is found.
    private var unreachable: (error: ShipctlError, until: ContinuousClock.Instant)?
    static let unreachableFor: Duration = .seconds(2)
    /// How long any one database step may take before the client gives up on it
    /// (and, as `statement_timeout` and `lock_timeout`, the server too).
    private var waitLimit: Duration = PostgresStateStore.defaultWaitLimit
    static let defaultWaitLimit: Duration = .seconds(15)
    static let connectLimit: Duration = .seconds(5)

    /// Keys of the advisory locks: appends to the chain, and one per service/env/target
    /// (the second key is `hashtext('service/env/target')`).
    static let chainLockKey: Int64 = 0x7368_6970_6374_6c31
    static let deploymentLockNamespace: Int32 = 0x7368_6970
    /// How many of the newest starts, finishes and rollbacks of a service/env the
    /// history is built from: the last hundred or so deployments.
    static let decisiveRecords = 300

    public init(url: DatabaseURL, actor: ShipctlKit.Actor, environment: [String: String]) {
        self.url = url
        self.location = url.description
        self.password = url.password ?? environment["PGPASSWORD"]
        self.writer = actor
    }

    /// Registered in the executable for `postgres://` and `postgresql://`.
    public static let opener: StateBackends.Opener = { url, actor, environment in
        PostgresStateStore(url: url, actor: actor, environment: environment)
    }

    // MARK: audit log

    @discardableResult
    public func append(_ event: AuditEvent) async throws(ShipctlError) -> AuditRecord {
        let writer = self.writer
        let logger = self.logger
        return try await withConnection("appending a record") { connection in
            try await connection.withTransaction(logger: logger) { transaction in
                try await transaction.query("SELECT pg_advisory_xact_lock(\(Self.chainLockKey))", logger: logger)
                var seq: Int64 = 0
                var prev = AuditRecord.genesis
                let tail = try await transaction.query(
                    "SELECT seq, hash FROM shipctl_audit ORDER BY seq DESC LIMIT 1", logger: logger)
                for try await (lastSeq, lastHash) in tail.decode((Int64, String).self) {
                    (seq, prev) = (lastSeq, lastHash)
                }
                let (record, line) = AuditRecord.make(
                    event: event, seq: seq + 1, prev: prev, actor: (event.actor ?? writer).name,
                    run: (event.actor ?? writer).run, now: Date())
                try await transaction.query(
                    """
                    INSERT INTO shipctl_audit (seq, prev, hash, service, env, deployment, action, line)
                    VALUES (\(record.seq), \(record.prev), \(record.hash), \(record.service), \(record.env), \(record.deployment), \(record.action), \(line))
                    """, logger: logger)
                return record
            }
        }
    }

    /// Only the records that can change the derived state, each through an index:
    /// the newest starts, finishes and rollbacks (enough to know the versions that
    /// were good, however long the log), every record of the latest deployment,
    /// and the newest few. Each must be consistent with its own hash, and with the
    /// one before it when that was read too; reading stops at the first that is not.
    public func history(_ scope: StateScope) async throws(ShipctlError) -> DeploymentHistory {
        let logger = self.logger
        let (service, env) = (scope.service, scope.env)
        let actions = [AuditAction.deploymentStart, AuditAction.deploymentFinish, AuditAction.rollback]
        // The latest start of this target, or of a record that names none (written before targets were).
        let targetArgument = "\"\(StateScope.targetArgument)\":"
        let ownTarget = targetArgument + JSONValue.string(scope.target).canonical
        return try await withConnection("reading the history of \(scope)") { connection in
            let rows = try await connection.query(
                """
                (SELECT seq, line FROM shipctl_audit WHERE service = \(service) AND env = \(env) AND action = ANY(\(actions))
                 ORDER BY seq DESC LIMIT \(Self.decisiveRecords))
                UNION
                (SELECT seq, line FROM shipctl_audit
                 WHERE deployment = (SELECT deployment FROM shipctl_audit
                                     WHERE service = \(service) AND env = \(env) AND action = \(AuditAction.deploymentStart)
                                       AND (strpos(line, \(ownTarget)) > 0 OR strpos(line, \(targetArgument)) = 0)
                                     ORDER BY seq DESC LIMIT 1)
                   AND service = \(service) AND env = \(env))
                UNION
                (SELECT seq, line FROM shipctl_audit WHERE service = \(service) AND env = \(env)
                 ORDER BY seq DESC LIMIT \(DeploymentHistory.recentCount))
                ORDER BY seq
                """, logger: logger)
            var history = DeploymentHistory(target: scope.target)
            var previous: (seq: Int64, hash: ArraySlice<UInt8>)?
            for try await (seq, text) in rows.decode((Int64, String).self) where history.untrustedFrom == nil {
                let bytes = Array(text.utf8)[...]
                let linked =
                    previous.map { $0.seq + 1 != seq || Self.prev(of: bytes)?.elementsEqual($0.hash) == true } ?? true
                guard linked, let hash = Self.verifiedHash(bytes), AuditLine(bytes).seq == seq else {
                    history.untrustedFrom = "record seq \(seq) does not verify (it was changed in the database)"
                    continue
                }
                previous = (seq, hash)
                history.add(AuditLine(bytes))
            }
            return history
        }
    }

    static let scanPageSize = 2000

    /// Nonisolated: `visit` is the caller's, and runs in the caller's context while rows stream in.
    public nonisolated func scan(_ visit: (AuditLine) throws(ShipctlError) -> Void) async throws(ShipctlError)
        -> AuditVerification
    {
        let connection = try await openChecked()
        var verifier = ChainVerifier()
        var firstBad: (seq: Int64?, reason: String)?
        var failure: ShipctlError?
        do {
            // Page by seq: one query streaming the whole table lets the driver buffer
            // rows faster than they are checked, and a busy team's log is large.
            var after: Int64 = 0
            var pageRows = Self.scanPageSize
            while pageRows == Self.scanPageSize, firstBad == nil, failure == nil {
                pageRows = 0
                let rows = try await connection.query(
                    "SELECT seq, line FROM shipctl_audit WHERE seq > \(after) ORDER BY seq LIMIT \(Self.scanPageSize)",
                    logger: Self.silent)
                for try await (seq, text) in rows.decode((Int64, String).self) {
                    pageRows += 1
                    after = seq
                    guard firstBad == nil, failure == nil else { continue }
                    let bytes = Array(text.utf8)[...]
                    if let bad = verifier.check(bytes) {
                        firstBad = bad
                        continue
                    }
                    do { try visit(AuditLine(bytes)) } catch { failure = error }
                }
            }
        } catch {
            failure = Self.failure(error, location: location)
        }
        try? await connection.close()
        if let failure { throw failure }
        return AuditVerification(verifier, firstBad: firstBad)
    }

    private static func verifiedHash(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        guard let prev = prev(of: line), ChainVerifier.ownHash(of: line, prev: Array(prev)) != nil else { return nil }
        return ChainVerifier.storedHash(line)
    }

    private static func prev(of line: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        guard let value = AuditLine(line).field("prev"), value.utf8.count == 64 else { return nil }
        return Array(value.utf8)[...]
    }

    // MARK: locks

    public func acquireLock(_ scope: StateScope, holder: LockHolder) async throws(ShipctlError) -> LockAcquisition {
        let key = Self.lockKey(scope)
        let (service, env, target) = (scope.service, scope.env, scope.target)
        let connection = try await connect()
        do {
            try await ensureSchema(connection)
            let logger = self.logger
            let location = self.location
            let previous = try await DatabaseDeadline.run(waitLimit, on: connection, what: "taking the lock of \(key)")
            {
                let taken =
                    try await Self.single(
                        Bool.self,
                        connection.query(
                            "SELECT pg_try_advisory_lock(\(Self.deploymentLockNamespace), hashtext(\(key)))",
                            logger: logger)) ?? false
                guard taken else {
                    let current = try await Self.holderRow(connection, scope, logger: logger)
                    throw ShipctlError.locked(
                        service: service, env: env, holder: current ?? "another runner (it has not named itself yet)")
                }
                try await Self.requireSessionLock(connection, key: key, location: location, logger: logger)
                let previous = try await Self.holderRow(connection, scope, logger: logger)
                // A session the server ended says nothing about its process: one still running here is not gone.
                if let text = try await Self.single(
                    String.self,
                    connection.query(
                        "SELECT holder FROM shipctl_locks WHERE service = \(service) AND env = \(env) AND target = \(target)",
                        logger: logger)),
                    let named = try? JSONDecoder().decode(LockHolder.self, from: Data(text.utf8)),
                    named.pid != holder.pid || named.host != holder.host, named.isAliveOnThisHost
                {
                    try await connection.query(
                        "SELECT pg_advisory_unlock(\(Self.deploymentLockNamespace), hashtext(\(key)))", logger: logger)
                    throw ShipctlError.locked(
                        service: service, env: env,
                        holder: "\(named) — still running on this host, though the database ended its session")
                }
                try await connection.query(
                    """
                    INSERT INTO shipctl_locks (service, env, target, holder) VALUES (\(service), \(env), \(target), \(Self.encode(holder)))
                    ON CONFLICT (service, env, target) DO UPDATE SET holder = EXCLUDED.holder
                    """, logger: logger)
                return previous
            }
            lockConnections[key] = connection
            return previous.map { .tookOver(from: "\($0), whose connection to the database is gone") } ?? .acquired
        } catch {
            try? await connection.close()
            throw failure(error)
        }
    }

    /// A pooler in transaction mode (PgBouncer's `pool_mode = transaction`) hands
    /// each statement to any server connection: the advisory lock would stay with
    /// one of them, outliving this runner, and another runner could be handed the
    /// same connection and "take" it again. Checked by asking whether the session
    /// that runs this statement is the one that holds the lock.
    private static func requireSessionLock(
        _ connection: PostgresConnection, key: String, location: String, logger: Logger
    ) async throws {
        let held =
            try await Self.single(
                Int64.self,
                connection.query(
                    """
                    SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
                      AND classid = \(Self.deploymentLockNamespace)::oid AND objid = hashtext(\(key))::oid AND objsubid = 2
                    """, logger: logger)) ?? 0
        guard held > 0 else {
            throw ShipctlError.runtime(
                "the deployment lock taken through \(location) is not held by this connection's session: the URL reaches PostgreSQL through a connection pooler in transaction mode",
                hint:
                    "point state.url at the database directly, or at a pooler in session mode; session locks cannot work through transaction pooling"
            )
        }
    }

    /// Ends the lock's session; a connection the server already closed has nothing left
    /// to release, and a server that does not answer is given a moment, not the process.
    public func releaseLock(_ scope: StateScope, holder: LockHolder) async {
        let key = Self.lockKey(scope)
        let logger = self.logger
        let (service, env, target) = (scope.service, scope.env, scope.target)
        guard let connection = lockConnections.removeValue(forKey: key) else { return }
        if !connection.isClosed {
            _ = try? await DatabaseDeadline.run(
                min(waitLimit, .seconds(2)), on: connection, what: "releasing the lock of \(key)"
            ) {
                try await connection.query(
                    "DELETE FROM shipctl_locks WHERE service = \(service) AND env = \(env) AND target = \(target) AND holder = \(Self.encode(holder))",
                    logger: logger)
                try await connection.query(
                    "SELECT pg_advisory_unlock(\(Self.deploymentLockNamespace), hashtext(\(key)))", logger: logger)
            }
        }
        try? await connection.close()
    }

    /// Asked on the lock's own connection: a session the server ended (restart, failover,
    /// idle timeout, `pg_terminate_backend`) has lost the lock, whoever holds it now.
    public func checkLock(_ scope: StateScope, holder: LockHolder) async -> LockCheck {
        let key = Self.lockKey(scope)
        let logger = self.logger
        guard let connection = lockConnections[key] else { return .lost("this runner holds no connection for it") }
        if !connection.isClosed {
            do {
                let held = try await DatabaseDeadline.run(
                    min(waitLimit, .seconds(5)), on: connection, what: "checking the lock of \(key)"
                ) {
                    try await Self.single(
                        Int64.self,
                        connection.query(
                            """
                            SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
                              AND classid = \(Self.deploymentLockNamespace)::oid AND objid = hashtext(\(key))::oid AND objsubid = 2
                            """, logger: logger)) ?? 0
                }
                if held > 0 { return .held }
            } catch {
                lockConnections.removeValue(forKey: key)
                try? await connection.close()
                return .lost("the database no longer answers on the lock's session: \(Self.describe(error))")
            }
        }
        lockConnections.removeValue(forKey: key)
        try? await connection.close()
        return .lost("the database ended the lock's session")
    }

    /// Every later database step of this process gives up after `limit` (a rollback
    /// gives each about a second, then goes on without the log).
    public func limitWaits(to limit: Duration) {
        waitLimit = limit
    }

    /// The holder named in the row, while its session still holds the lock; a
    /// row whose session is gone names nobody.
    public func lockHolder(_ scope: StateScope) async -> LockHolder? {
        let key = Self.lockKey(scope)
        let logger = self.logger
        let (service, env, target) = (scope.service, scope.env, scope.target)
        return try? await withConnection("reading the lock holder") { connection in
            let text = try await Self.single(
                String.self,
                connection.query(
                    """
                    SELECT holder FROM shipctl_locks WHERE service = \(service) AND env = \(env) AND target = \(target)
                      AND EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted
                                  AND classid = \(Self.deploymentLockNamespace)::oid AND objid = hashtext(\(key))::oid AND objsubid = 2)
                    """, logger: logger))
            return text.flatMap { try? JSONDecoder().decode(LockHolder.self, from: Data($0.utf8)) }
        }
    }

    /// The connection has checked the schema (brought it to this shipctl's version, or refused a newer
    /// one), so only the lock table is left to read.
    public func layout() async throws(ShipctlError) -> String? {
        let logger = self.logger
        return try await withConnection("reading the lock table") { connection in
            let rows = try await Self.single(
                Int.self, connection.query("SELECT count(*) FROM shipctl_locks", logger: logger))
            return "version \(PostgresSchema.version), as this shipctl expects; lock table shipctl_locks readable "
                + "(\(rows ?? 0) row(s))"
        }
    }

    private static func holderRow(_ connection: PostgresConnection, _ scope: StateScope, logger: Logger) async throws
        -> String?
    {
        let (service, env, target) = (scope.service, scope.env, scope.target)
        let text = try await Self.single(
            String.self,
            connection.query(
                "SELECT holder FROM shipctl_locks WHERE service = \(service) AND env = \(env) AND target = \(target)",
                logger: logger))
        return text.map { row in (try? JSONDecoder().decode(LockHolder.self, from: Data(row.utf8)))?.description ?? row
        }
    }

    /// The advisory lock's second key is `hashtext` of this: one lock per service, env and target.
    private static func lockKey(_ scope: StateScope) -> String {
        "\(scope.service)/\(scope.env)/\(scope.target)"
    }

    private static func encode(_ holder: LockHolder) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(holder)).map { String(decoding: $0, as: UTF8.self) } ?? holder.description
    }

    // MARK: connections

    /// One connection per operation: nothing stays open between them but the
    /// connections that hold deployment locks. Each operation ends by its deadline.
    private func withConnection<T: Sendable>(
        _ what: String, limit: Duration? = nil,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws(ShipctlError) -> T {
        let connection = try await openChecked()
        do {
            let value = try await DatabaseDeadline.run(limit ?? waitLimit, on: connection, what: what) {
                try await body(connection)
            }
            try? await connection.close()
            return value
        } catch {
            try? await connection.close()
            throw failure(error)
        }
    }

    /// A new connection on a schema known to be current.
    private func openChecked() async throws(ShipctlError) -> PostgresConnection {
        let connection = try await connect()
        do {
            try await ensureSchema(connection)
            return connection
        } catch {
            try? await connection.close()
            throw failure(error)
        }
    }

    private func ensureSchema(_ connection: PostgresConnection) async throws {
        guard !schemaChecked else { return }
        let logger = self.logger
        let location = self.location
        try await DatabaseDeadline.run(waitLimit, on: connection, what: "checking the schema") {
            try await PostgresSchema.ensure(on: connection, logger: logger, location: location)
        }
        schemaChecked = true
    }

    private func connect() async throws(ShipctlError) -> PostgresConnection {
        if let unreachable, ContinuousClock.now < unreachable.until { throw unreachable.error }
        connectionCount += 1
        let connection: PostgresConnection
        do {
            var configuration = PostgresConnection.Configuration(
                host: url.host, port: url.port, username: url.user, password: password,
                database: url.database, tls: try tls())
            let limit = min(Self.connectLimit, waitLimit)
            configuration.options.connectTimeout = .milliseconds(limit.milliseconds)
            connection = try await PostgresConnection.connect(
                configuration: configuration, id: connectionCount, logger: logger)
        } catch {
            let (problem, hint) = Self.connectionProblem(error, url: url, limit: min(Self.connectLimit, waitLimit))
            let failure = ShipctlError.runtime("cannot reach the state database \(location): \(problem)", hint: hint)
            unreachable = (failure, ContinuousClock.now + Self.unreachableFor)
            throw failure
        }
        // The server gives up on a statement, or on a lock it waits for, no later than the client does. Set
        // after connecting, not as startup parameters, which poolers such as PgBouncer refuse.
        let serverLimit = String(waitLimit.milliseconds)
        let logger = self.logger
        do {
            try await DatabaseDeadline.run(
                min(Self.connectLimit, waitLimit), on: connection, what: "setting its timeouts"
            ) {
                try await connection.query(
                    "SELECT set_config('statement_timeout', \(serverLimit), false), set_config('lock_timeout', \(serverLimit), false)",
                    logger: logger)
            }
        } catch {
            try? await connection.close()
            throw failure(error)
        }
        return connection
    }

    /// What went wrong while connecting, in words that point at the fix.
    static func connectionProblem(_ error: any Error, url: DatabaseURL, limit: Duration) -> (
        problem: String, hint: String
    ) {
        let detail = describe(error)
        let address = "\(url.host):\(url.port)"
        if (error as? PSQLError)?.code == .sslUnsupported {
            return (
                "the server at \(address) does not offer TLS, and state.url requires it",
                "turn on TLS (ssl = on) in the server's postgresql.conf; on a network you trust, `sslmode=disable` in state.url sends in the clear"
            )
        }
        if detail.localizedCaseInsensitiveContains("connect timeout")
            || detail.localizedCaseInsensitiveContains("connectTimeout")
        {
            return (
                "nothing answered as PostgreSQL at \(address) within \(DurationParser.format(limit)) (\(detail))",
                "check the host and port in state.url: a firewall that drops packets, or another kind of server on that port (an HTTP server), looks like this"
            )
        }
        return (
            detail,
            "check that the database is up and reachable from here, state.url in shipctl.yaml, and the password (PGPASSWORD or ${VAR} in the URL)"
        )
    }

    private func tls() throws -> PostgresConnection.Configuration.TLS {
        func context(_ verification: CertificateVerification) throws -> NIOSSLContext {
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = verification
            return try NIOSSLContext(configuration: configuration)
        }
        switch url.tls {
        case .disable: return .disable
        case .allow, .prefer: return .prefer(try context(.none))
        case .require: return .require(try context(.none))
        case .verifyCA: return .require(try context(.noHostnameVerification))
        case .verifyFull: return .require(try context(.fullVerification))
        }
    }

    private func failure(_ error: any Error) -> ShipctlError {
        Self.failure(error, location: location)
    }

    private static func failure(_ error: any Error, location: String) -> ShipctlError {
        if let error = error as? ShipctlError { return error }
        return .runtime(
            "the state database \(location) failed: \(Self.describe(error))",
            hint: "check the database's log; `shipctl audit verify` tells whether the log is intact")
    }

    /// The server's own message when there is one; PSQLError hides it from `description`.
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                return message + (error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? "")
            }
            if let underlying = error.underlying { return String(describing: underlying) }
            return String(describing: error.code)
        }
        if let error = error as? PostgresTransactionError {
            return [error.beginError, error.closureError, error.commitError, error.rollbackError].compactMap {
                $0.map(describe)
            }.first ?? "transaction failed"
        }
        return String(describing: error)
    }

    /// The first value of the first row, if any.
    private static func single<T: PostgresDecodable & Sendable>(_ type: T.Type, _ rows: PostgresRowSequence)
        async throws -> T?
    {
        var value: T?
        for try await row in rows.decode(T.self) where value == nil { value = row }
        return value
    }
}

extension PostgresStateStore {
    public func importChain(_ lines: [String]) async throws(ShipctlError) {
        let logger = PostgresStateStore.silent
        try await withConnection("copying the log", limit: .seconds(3600)) { connection in
            try await connection.withTransaction(logger: logger) { transaction in
                try await transaction.query("SELECT pg_advisory_xact_lock(\(Self.chainLockKey))", logger: logger)
                for try await count in try await transaction.query("SELECT count(*) FROM shipctl_audit", logger: logger)
                    .decode(Int64.self) where count > 0
                {
                    throw ShipctlError.usage("the state database already holds \(count) records; nothing was copied")
                }
                for text in lines {
                    guard let record = AuditLine(text).record else {
                        throw ShipctlError.runtime("a record to migrate does not parse; nothing was copied")
                    }
                    try await transaction.query(
                        """
                        INSERT INTO shipctl_audit (seq, prev, hash, service, env, deployment, action, line)
                        VALUES (\(record.seq), \(record.prev), \(record.hash), \(record.service), \(record.env), \(record.deployment), \(record.action), \(text))
                        """, logger: logger)
                }
            }
            // A table that grew by a whole log at once has no statistics yet, and without
            // them the planner scans it for every history read until autovacuum gets to it.
            // (A role that does not own the table gets a warning, not an error.)
            try await connection.query("ANALYZE shipctl_audit", logger: logger)
        }
    }
}
