import Foundation

/// How traffic is split right now between the stable version and at most one canary.
public struct TrafficSplit: Sendable, Equatable, CustomStringConvertible {
    /// The version that gets the traffic the canary does not.
    public var stable: String
    public var canary: String?
    /// Percentage on the canary, 0–100.
    public var canaryPercent: Double
    /// The provider's concurrency token (Lambda alias RevisionId), passed back on change.
    public var revision: String?
    /// What the last completed promote wrote onto the target, if anything.
    public var witness: Witness?

    public init(
        stable: String, canary: String? = nil, canaryPercent: Double = 0, revision: String? = nil,
        witness: Witness? = nil
    ) {
        self.stable = stable
        self.canary = canary
        self.canaryPercent = canaryPercent
        self.revision = revision
        self.witness = witness
    }

    /// True when one version has all traffic and nothing is routed elsewhere.
    public var isSettled: Bool { canary == nil || canaryPercent == 0 }

    public var description: String {
        guard let canary, canaryPercent > 0 else { return "100% on \(stable)" }
        return "\(Percent.format(100 - canaryPercent))% on \(stable), \(Percent.format(canaryPercent))% on \(canary)"
    }

    public var json: JSONValue {
        [
            "stable": .string(stable), "canary": canary.map(JSONValue.string) ?? .null,
            "canary_percent": .number(canaryPercent),
        ]
    }
}

extension TrafficProvider {
    public func routeAll(to version: String, revision: String?, urgent: Bool) async throws(ShipctlError) -> TrafficSplit
    {
        try await routeAll(to: version, revision: revision, urgent: urgent, witness: nil)
    }
}

/// The outcome of calling the new version directly in a smoke test.
public struct InvocationOutcome: Sendable {
    public var succeeded: Bool
    public var detail: String

    public init(succeeded: Bool, detail: String) {
        self.succeeded = succeeded
        self.detail = detail
    }
}

/// The seam between the deployment engine and a compute platform: read the
/// split, move traffic, put it all on one version. One implementation per
/// platform (Lambda aliases, Cloud Run revisions), picked by `ServiceParts`.
public protocol TrafficProvider: Sendable {
    /// What is being deployed, for messages: "lambda micro-app-api:live".
    var target: String { get }
    func readSplit() async throws(ShipctlError) -> TrafficSplit
    /// Checks that a version exists and can take traffic; returns its canonical name.
    func resolveVersion(_ version: String) async throws(ShipctlError) -> String
    /// Makes a new version from what is deployed now (Lambda: publish-version).
    func publishVersion() async throws(ShipctlError) -> String
    /// Sends `percent` of traffic to `canary`, the rest to `stable`.
    func shift(stable: String, canary: String, percent: Double, revision: String?) async throws(ShipctlError)
        -> TrafficSplit
    /// Puts all traffic on `version` with nothing routed elsewhere. `urgent` is
    /// for reverts: retried harder, because giving up leaves users on a bad version.
    /// A `witness` is written onto the target in the same call (a completing promote).
    func routeAll(to version: String, revision: String?, urgent: Bool, witness: Witness?) async throws(ShipctlError)
        -> TrafficSplit
    /// The shell command an operator can run by hand to do what `routeAll` does.
    func manualRouteAllCommand(to version: String) -> String
    /// Calls one version directly, bypassing the split, for smoke tests.
    func invoke(version: String, payload: String, timeout: Duration) async throws(ShipctlError) -> InvocationOutcome
}

enum Percent {
    /// "10", "12.50"; whatever the value, never a trap.
    static func format(_ value: Double) -> String {
        if let whole = Checked.int(value) { return String(whole) }
        return value.isFinite && abs(value) < 1e6 ? String(format: "%.2f", value) : String(value)
    }
}
