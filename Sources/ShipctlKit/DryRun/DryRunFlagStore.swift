import Foundation

/// A flag store in `--dry-run`: reads go to the real one; a flip is printed as the operator would make
/// it by hand, and nothing is written.
struct DryRunFlagStore: FlagStore {
    let base: any FlagStore
    let print: @Sendable (String) -> Void

    func read(_ flip: FlagFlip) async throws(ShipctlError) -> String? {
        try await base.read(flip)
    }

    func set(_ flip: FlagFlip) async throws(ShipctlError) {
        print("would set flag \(flip.displayName): \(flip.manualInstruction)")
    }
}
