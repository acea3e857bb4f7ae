import Foundation

/// Where the audit log and the per service/env locks live. The local store
/// keeps them on disk; a shared backend (Postgres) would implement the same.
public protocol StateStore: Sendable {
    /// Appends one event to the chain; it is durable when this returns.
    @discardableResult
    func append(_ event: AuditEvent) throws(ShipctlError) -> AuditRecord
    /// Every well-formed record, oldest first.
    func records() throws(ShipctlError) -> [AuditRecord]
    /// Checks the chain and reports the first record that does not match.
    func verify() throws(ShipctlError) -> AuditVerification
    /// Takes the lock for service/env or throws `.locked` naming the holder.
    func acquireLock(service: String, env: String, holder: LockHolder) throws(ShipctlError) -> LockAcquisition
    func releaseLock(service: String, env: String, holder: LockHolder)
    /// The current holder, if any.
    func lockHolder(service: String, env: String) -> LockHolder?
}

/// Who holds a deployment lock: enough to find them, and to see they are gone.
public struct LockHolder: Sendable, Codable, Equatable, CustomStringConvertible {
    public var host: String
    public var pid: Int32
    public var actor: String
    public var run: String?
    public var deployment: String
    public var started: String

    public init(host: String, pid: Int32, actor: String, run: String?, deployment: String, started: String) {
        self.host = host
        self.pid = pid
        self.actor = actor
        self.run = run
        self.deployment = deployment
        self.started = started
    }

    /// This process, holding the lock for `deployment` from now on.
    public static func thisProcess(actor: Actor, deployment: String) -> LockHolder {
        LockHolder(host: ProcessInfo.processInfo.hostName, pid: getpid(), actor: actor.name, run: actor.run,
                   deployment: deployment, started: Timestamp.format(Date()))
    }

    public var description: String {
        "deployment \(deployment) by \(actor) on \(host) (pid \(pid)\(run.map { ", CI run \($0)" } ?? "")), started \(started)"
    }

    /// True when the holder ran on this host and its process no longer exists.
    public var isGoneFromThisHost: Bool {
        guard host == ProcessInfo.processInfo.hostName else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }
}

public enum LockAcquisition: Sendable {
    case acquired
    /// The previous holder's process was gone; the lock was taken over from it.
    case tookOver(from: LockHolder)
}

public struct AuditVerification: Sendable {
    public var recordCount: Int
    /// The first line that breaks the chain: its 1-based line number, seq if readable, and why.
    public var firstBad: (line: Int, seq: Int64?, reason: String)?
    public var lastHash: String

    public var isValid: Bool { firstBad == nil }
}

/// Who is acting, as recorded in every audit record.
public struct Actor: Sendable {
    public var name: String
    public var run: String?

    public init(name: String, run: String?) {
        self.name = name
        self.run = run
    }

    public static func current(environment: [String: String] = ProcessInfo.processInfo.environment) -> Actor {
        let name = environment["GITHUB_ACTOR"] ?? environment["USER"] ?? environment["LOGNAME"] ?? "unknown"
        var run = environment["GITHUB_RUN_ID"]
        if let id = run, let attempt = environment["GITHUB_RUN_ATTEMPT"] { run = "\(id)/\(attempt)" }
        return Actor(name: name, run: run)
    }
}
