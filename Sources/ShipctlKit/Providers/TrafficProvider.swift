import Foundation

extension TrafficProvider {
    public func routeAll(to version: String, revision: String?, urgent: Bool) async throws(ShipctlError) -> TrafficSplit
    {
        try await routeAll(to: version, revision: revision, urgent: urgent, witness: nil)
    }

    /// The shell command an operator can run by hand to do what `routeAll` does.
    public func manualRouteAllCommand(to version: String) -> String {
        command(for: .routeAll(to: version, witness: nil))
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
    /// The shell command that makes `change` by hand, as this provider would make it.
    func command(for change: TrafficChange) -> String
    /// Calls one version directly, bypassing the split, for smoke tests.
    func invoke(version: String, payload: String, timeout: Duration) async throws(ShipctlError) -> InvocationOutcome
}
