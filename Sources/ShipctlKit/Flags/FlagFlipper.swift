import Foundation

/// Applies flag flips one by one, each with intent and result in the audit log
/// (taken even when the log cannot be written: they are the fallback of a revert).
/// One failing flip is reported and does not stop the others.
struct FlagFlipper: Sendable {
    let journal: DeploymentJournal
    let store: any FlagStore
    let reporter: Reporter

    /// Starts the flips in their own task, so a traffic call can run beside them; the task tells how they went.
    func start(_ flips: [FlagFlip], placeholders: Placeholders, step: String) -> Task<ShipctlError?, Never>? {
        guard !flips.isEmpty else { return nil }
        return ShieldedTask.start {
            do throws(ShipctlError) {
                try await apply(flips, placeholders: placeholders, step: step)
                return nil
            } catch {
                return error
            }
        }
    }

    func apply(_ flips: [FlagFlip], placeholders: Placeholders, step: String) async throws(ShipctlError) {
        var failures: [FlagFlip] = []
        for flip in flips.map({ $0.filled(placeholders) }) {
            do {
                // Like the revert beside it, a flip does not wait on a log that cannot be written.
                try await journal.performing(
                    .flagFlipped(flip: flip, step: step, args: flip.auditArgs),
                    delivery: .kept(regardless: "\(flip.displayName) flips regardless")
                ) { _ async throws(ShipctlError) in
                    try await store.set(flip)
                }
            } catch {
                reporter.failure("could not set flag \(flip.displayName): \(error.description)")
                failures.append(flip)
            }
        }
        if !failures.isEmpty {
            throw .runtime(
                "could not set flag(s): \(failures.map(\.displayName).joined(separator: ", "))",
                hint: "set them by hand: " + failures.map(\.manualInstruction).joined(separator: "; "))
        }
    }
}
