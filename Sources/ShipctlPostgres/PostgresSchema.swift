import Logging
import PostgresNIO
import ShipctlKit

/// shipctl's tables, created and migrated by shipctl itself. `shipctl_schema`
/// records the version; a database migrated by a newer shipctl is refused
/// rather than misread.
enum PostgresSchema {
    static let version = 2

    /// Serialises migrations from many runners starting at once.
    static let migrationLockKey: Int64 = 0x7368_6970_6d69_6772

    /// Each migration, in order; `migrations[n - 1]` brings the schema to version n.
    static let migrations: [[PostgresQuery]] = [
        [
            "CREATE TABLE IF NOT EXISTS shipctl_schema (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
            """
            CREATE TABLE shipctl_audit (
                seq bigint PRIMARY KEY,
                prev text NOT NULL UNIQUE,
                hash text NOT NULL UNIQUE,
                service text NOT NULL,
                env text NOT NULL,
                deployment text NOT NULL,
                action text NOT NULL,
                line text NOT NULL
            )
            """,
            "CREATE INDEX shipctl_audit_by_service_env ON shipctl_audit (service, env, seq)",
            "CREATE INDEX shipctl_audit_by_action ON shipctl_audit (service, env, action, seq)",
            "CREATE INDEX shipctl_audit_by_deployment ON shipctl_audit (deployment, seq)",
            """
            CREATE FUNCTION shipctl_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'shipctl_audit is append-only: % is refused', TG_OP;
            END
            $$
            """,
            "CREATE TRIGGER shipctl_audit_no_change BEFORE UPDATE OR DELETE ON shipctl_audit FOR EACH ROW EXECUTE FUNCTION shipctl_audit_append_only()",
            "CREATE TRIGGER shipctl_audit_no_truncate BEFORE TRUNCATE ON shipctl_audit FOR EACH STATEMENT EXECUTE FUNCTION shipctl_audit_append_only()",
            "CREATE TABLE shipctl_locks (service text NOT NULL, env text NOT NULL, holder text NOT NULL, PRIMARY KEY (service, env))",
        ],
        [
            // Version 2: one lock per target, so that two repositories naming their services alike do not share one.
            "ALTER TABLE shipctl_locks ADD COLUMN target text NOT NULL DEFAULT ''",
            "ALTER TABLE shipctl_locks DROP CONSTRAINT shipctl_locks_pkey",
            "ALTER TABLE shipctl_locks ADD PRIMARY KEY (service, env, target)",
        ],
    ]

    /// Brings the schema to `version`, or refuses a newer one. A runner that
    /// finds it current runs no DDL, so a role without CREATE works.
    static func ensure(on connection: PostgresConnection, logger: Logger, location: String) async throws {
        if let current = try? await currentVersion(on: connection, logger: logger) {
            try check(current, location: location)
            if current == version { return }
        }
        try await connection.withTransaction(logger: logger) { transaction in
            try await transaction.query("SELECT pg_advisory_xact_lock(\(migrationLockKey))", logger: logger)
            try await transaction.query(
                "CREATE TABLE IF NOT EXISTS shipctl_schema (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                logger: logger)
            let current = try await currentVersion(on: transaction, logger: logger)
            try check(current, location: location)
            for next in (current + 1)...max(current + 1, version) where next <= version {
                for statement in migrations[next - 1] { try await transaction.query(statement, logger: logger) }
                try await transaction.query("INSERT INTO shipctl_schema (version) VALUES (\(next))", logger: logger)
            }
        }
    }

    private static func currentVersion(on connection: PostgresConnection, logger: Logger) async throws -> Int {
        let rows = try await connection.query("SELECT coalesce(max(version), 0) FROM shipctl_schema", logger: logger)
        for try await version in rows.decode(Int.self) { return version }
        return 0
    }

    private static func check(_ current: Int, location: String) throws {
        guard current <= version else {
            throw ShipctlError.runtime(
                "the state database \(location) has schema version \(current), newer than this shipctl understands (\(version))",
                hint: "upgrade shipctl on this machine to the version your team's other runners use")
        }
    }
}
