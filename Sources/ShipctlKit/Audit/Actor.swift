import Foundation

/// Who is acting, as recorded in every audit record.
public struct Actor: Sendable {
    public var name: String
    public var run: String?

    public init(name: String, run: String?) {
        self.name = name
        self.run = run
    }

    public static func current(environment: [String: String] = ProcessInfo.processInfo.environment) -> Actor {
        let name =
            environment["GITHUB_ACTOR"] ?? environment["USER"] ?? environment["LOGNAME"] ?? accountName() ?? "unknown"
        var run = environment["GITHUB_RUN_ID"]
        if let id = run, let attempt = environment["GITHUB_RUN_ATTEMPT"] { run = "\(id)/\(attempt)" }
        return Actor(name: name, run: run)
    }

    /// The account the process runs as, when the environment names nobody (a cron job, a bare container).
    static func accountName() -> String? {
        guard let entry = getpwuid(getuid()), let name = entry.pointee.pw_name else { return nil }
        let text = String(cString: name)
        return text.isEmpty ? nil : text
    }
}
