import Foundation

/// A provider in `--dry-run`: reads go to the real one, so the plan starts from the live split; every
/// change is printed as the command the real provider would run (`command(for:)`) and answered with the
/// split it would leave. The real provider never hears of the dry run.
struct DryRunProvider: TrafficProvider {
    let base: any TrafficProvider
    let print: @Sendable (String) -> Void

    /// What a dry run names the version a promote would publish.
    static let publishedVersion = "NEW"

    var target: String { base.target }

    func readSplit() async throws(ShipctlError) -> TrafficSplit {
        try await base.readSplit()
    }

    func resolveVersion(_ version: String) async throws(ShipctlError) -> String {
        try await base.resolveVersion(version)
    }

    func publishVersion() async throws(ShipctlError) -> String {
        print("would run: " + base.command(for: .publish))
        return Self.publishedVersion
    }

    func shift(stable: String, canary: String, percent: Double, revision: String?) async throws(ShipctlError)
        -> TrafficSplit
    {
        print("would run: " + base.command(for: .shift(stable: stable, canary: canary, percent: percent)))
        return TrafficSplit(stable: stable, canary: canary, canaryPercent: percent)
    }

    func routeAll(to version: String, revision: String?, urgent: Bool, witness: Witness?) async throws(ShipctlError)
        -> TrafficSplit
    {
        print("would run: " + base.command(for: .routeAll(to: version, witness: witness)))
        return TrafficSplit(stable: version, witness: witness)
    }

    func command(for change: TrafficChange) -> String {
        base.command(for: change)
    }

    func invoke(version: String, payload: String, timeout: Duration) async throws(ShipctlError) -> InvocationOutcome {
        print("would invoke version \(version) of \(base.target)")
        return InvocationOutcome(succeeded: true, detail: "not invoked (dry run)")
    }
}
