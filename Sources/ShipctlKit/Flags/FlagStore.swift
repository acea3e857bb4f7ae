import Foundation

/// The seam between the engine and the flag services: reads and writes a flip
/// wherever its target lives. Tests put a store in memory in its place.
public protocol FlagStore: Sendable {
    /// The flag's current value, or nil when it is not set.
    func read(_ flip: FlagFlip) async throws(ShipctlError) -> String?
    /// Writes the flip's value.
    func set(_ flip: FlagFlip) async throws(ShipctlError)
}

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
