import Foundation

/// The seam between the engine and the flag services: reads and writes a flip
/// wherever its target lives. Tests put a store in memory in its place.
public protocol FlagStore: Sendable {
    /// The flag's current value, or nil when it is not set.
    func read(_ flip: FlagFlip) async throws(ShipctlError) -> String?
    /// Writes the flip's value.
    func set(_ flip: FlagFlip) async throws(ShipctlError)
}
