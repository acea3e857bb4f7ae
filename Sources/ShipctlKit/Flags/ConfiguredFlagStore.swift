import Foundation

/// The real store: each flip goes to the service its own configuration names.
public struct ConfiguredFlagStore: FlagStore {
    let context: EnvironmentContext

    public init(context: EnvironmentContext) {
        self.context = context
    }

    public func read(_ flip: FlagFlip) async throws(ShipctlError) -> String? {
        try await flip.target.read(context)
    }

    public func set(_ flip: FlagFlip) async throws(ShipctlError) {
        try await flip.target.write(context)
    }
}
