import Foundation
import ShipctlKit

/// A compute platform held in memory: one split that `shift` and `routeAll`
/// really move, the versions that exist, and a log of every call with the
/// split it left. A test can make a call fail, or hold it until released, to
/// put the engine on any path without a cloud.
public final class ScriptedTrafficProvider: TrafficProvider, @unchecked Sendable {
    public struct Call: Sendable, Equatable, CustomStringConvertible {
        /// `shift 10`, `routeAll 1`, `routeAll 1 urgent`, `readSplit`, `resolve 2`.
        public var name: String
        public var split: TrafficSplit

        public var description: String { "\(name) → \(split.description)" }
    }

    public let target: String
    private let lock = NSLock()
    private var live: TrafficSplit
    private var versions: Set<String>
    private var calls: [Call] = []
    private var failures: [String: ShipctlError] = [:]
    /// Called inside every traffic change, before it takes effect (e.g. to wait on a gate).
    private let during: @Sendable (String) async -> Void

    public init(
        target: String = "scripted api:live", stable: String = "1", versions: Set<String> = ["1", "2"],
        during: @escaping @Sendable (String) async -> Void = { _ in }
    ) {
        self.target = target
        self.live = TrafficSplit(stable: stable, revision: "r0")
        self.versions = versions
        self.during = during
    }

    /// Every call so far, in order.
    public var log: [Call] { lock.withLock { calls } }
    /// The traffic changes only (shifts and route-alls).
    public var changes: [String] { log.map(\.name).filter { $0.hasPrefix("shift") || $0.hasPrefix("routeAll") } }
    public var split: TrafficSplit { lock.withLock { live } }

    /// The next call whose name starts with `prefix` throws `error`.
    public func fail(_ prefix: String, with error: ShipctlError) {
        lock.withLock { failures[prefix] = error }
    }

    private func record(_ name: String, change: ((inout TrafficSplit) -> Void)? = nil) throws(ShipctlError)
        -> TrafficSplit
    {
        try lock.withLock { () -> Result<TrafficSplit, ShipctlError> in
            if let prefix = failures.keys.first(where: { name.hasPrefix($0) }),
                let error = failures.removeValue(forKey: prefix)
            {
                calls.append(Call(name: name + " (failed)", split: live))
                return .failure(error)
            }
            if let change {
                change(&live)
                live.revision = "r\(calls.count + 1)"
            }
            calls.append(Call(name: name, split: live))
            return .success(live)
        }.get()
    }

    private func changing(_ name: String, _ change: @escaping (inout TrafficSplit) -> Void) async throws(ShipctlError)
        -> TrafficSplit
    {
        await during(name)
        return try record(name, change: change)
    }

    public func readSplit() async throws(ShipctlError) -> TrafficSplit {
        try record("readSplit")
    }

    public func resolveVersion(_ version: String) async throws(ShipctlError) -> String {
        _ = try record("resolve \(version)")
        guard lock.withLock({ versions.contains(version) }) else {
            throw .runtime("version \(version) of \(target) does not exist")
        }
        return version
    }

    public func publishVersion() async throws(ShipctlError) -> String {
        let next = lock.withLock { () -> String in
            let number = (versions.compactMap { Int($0) }.max() ?? 0) + 1
            versions.insert(String(number))
            return String(number)
        }
        _ = try record("publish \(next)")
        return next
    }

    public func shift(stable: String, canary: String, percent: Double, revision: String?) async throws(ShipctlError)
        -> TrafficSplit
    {
        try await changing("shift \(percent == percent.rounded() ? String(Int(percent)) : String(percent))") { split in
            split = TrafficSplit(stable: stable, canary: canary, canaryPercent: percent)
        }
    }

    public func routeAll(to version: String, revision: String?, urgent: Bool, witness: Witness?)
        async throws(ShipctlError) -> TrafficSplit
    {
        try await changing("routeAll \(version)" + (urgent ? " urgent" : "")) { split in
            split = TrafficSplit(stable: version, witness: witness)
        }
    }

    public func command(for change: TrafficChange) -> String {
        switch change {
        case .publish: return "publish a version of \(target)"
        case .shift(let stable, let canary, let percent):
            return "shift \(target) to \(percent)% on \(canary), the rest on \(stable)"
        case .routeAll(let version, _): return "route all of \(target) to \(version)"
        }
    }

    public func invoke(version: String, payload: String, timeout: Duration) async throws(ShipctlError)
        -> InvocationOutcome
    {
        _ = try record("invoke \(version)")
        return InvocationOutcome(succeeded: true, detail: "status 200")
    }
}
