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
