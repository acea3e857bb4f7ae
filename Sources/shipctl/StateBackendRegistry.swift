import ShipctlKit
import ShipctlPostgres

extension StateBackends {
    /// Every state backend this binary links, by URL scheme. Adding one is its
    /// own file in its own target plus a line here.
    static let all = StateBackends([
        "postgres": PostgresStateStore.opener,
        "postgresql": PostgresStateStore.opener,
    ])
}

extension Session {
    /// The session a command works in, with every linked state backend.
    static func open(_ global: GlobalOptions, _ reporter: Reporter) throws(ShipctlError) -> Session {
        try open(configPath: global.config, reporter: reporter, backends: .all)
    }
}
