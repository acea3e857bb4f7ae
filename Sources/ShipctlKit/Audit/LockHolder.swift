import Foundation

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
        LockHolder(
            host: ProcessInfo.processInfo.hostName, pid: getpid(), actor: actor.name, run: actor.run,
            deployment: deployment, started: Timestamp.format(Date()))
    }

    public var description: String {
        "deployment \(deployment) by \(actor) on \(host) (pid \(pid)\(run.map { ", CI run \($0)" } ?? "")), started \(started)"
    }

    /// True when the holder ran on this host and its process still exists.
    public var isAliveOnThisHost: Bool {
        guard host == ProcessInfo.processInfo.hostName else { return false }
        return kill(pid, 0) == 0 || errno == EPERM
    }

    /// True when the holder ran on this host and its process no longer exists.
    public var isGoneFromThisHost: Bool {
        guard host == ProcessInfo.processInfo.hostName else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }
}
