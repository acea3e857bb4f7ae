import Foundation

/// A change a provider makes to its target, as `TrafficProvider.command(for:)` spells it for an
/// operator: in a hint that says how to put traffic back by hand, and in what `--dry-run` would run.
public enum TrafficChange: Sendable {
    /// A new version from what is deployed now.
    case publish
    case shift(stable: String, canary: String, percent: Double)
    case routeAll(to: String, witness: Witness?)
}
