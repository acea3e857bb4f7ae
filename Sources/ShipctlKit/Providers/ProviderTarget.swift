import Foundation

/// One kind of compute platform, whole: how a service's block for it reads in
/// `shipctl.yaml` (`provider: lambda` with `lambda: { … }`), what it fills in
/// for placeholders, and the traffic provider that moves its traffic. A new
/// kind is one type conforming to this and one line in `ProviderKinds.all`.
public protocol ProviderTarget: Sendable {
    /// The value of `provider:` and the key of the service's block for it.
    static var kind: String { get }
    /// The block written out, for messages that teach it.
    static var example: String { get }
    /// Where a promote finds its version when neither `--version` nor terraform names one.
    static var newVersionSource: String { get }
    /// The target a block describes, or nil after reporting what is wrong with it.
    static func parse(_ entry: ConfigEntry) -> Self?

    /// What `{{function}}` and `{{alias}}` stand for in this service's other settings.
    var placeholders: [String: String] { get }
    /// The provider that reads and moves this target's traffic in one environment.
    func provider(_ context: EnvironmentContext) -> any TrafficProvider
    /// The traffic of this target that a terraform resource change would move, if any.
    func trafficTakeover(_ change: TerraformResourceChange) -> TrafficTakeover?
    /// Read-only checks (`doctor`) that this target can be deployed from here through `provider`,
    /// whose live split was read as `split`: whose credentials, the target, and each permission a
    /// promote needs — probed where a harmless read exists, named where none does.
    func preflight(
        _ provider: any TrafficProvider, split: Result<TrafficSplit, ShipctlError>, _ context: EnvironmentContext
    ) async -> [DoctorCheck]
    /// Which target this is in `context`, as history and locks are keyed: the kind, then
    /// account or project, region, and resource, so that no other target's records decide for it.
    func identity(_ context: EnvironmentContext) -> String
}

extension ProviderTarget {
    /// A platform with nothing to check beyond its split.
    public func preflight(
        _ provider: any TrafficProvider, split: Result<TrafficSplit, ShipctlError>, _ context: EnvironmentContext
    ) async -> [DoctorCheck] {
        [DoctorCheck.split(split, of: provider.target, missing: "create it, then run `shipctl doctor` again")]
    }

    /// A platform whose traffic terraform does not describe.
    public func trafficTakeover(_ change: TerraformResourceChange) -> TrafficTakeover? { nil }
}
