import Foundation

/// The shift phase: move the canary's share of traffic to the step's weight, then smoke-test it.
extension CanaryRun {
    static func label(_ index: Int, of count: Int) -> String { DeploymentEvent.stepLabel(index + 1, of: count) }

    func shift(_ context: StepContext, step index: Int, revision: String?) async throws(ShipctlError) -> (
        CanaryEngine.Phase, String?
    ) {
        let step = service.steps[index]
        let label = Self.label(index, of: service.steps.count)
        let shifted = { (split: TrafficSplit?) in
            DeploymentEvent.shifted(
                step: index + 1, steps: service.steps.count, weight: step.weight, pause: step.pause,
                target: context.provider.target, stable: context.stable, canary: context.canary, split: split)
        }
        let move = { (intent: AuditRecord?) async throws(ShipctlError) -> TrafficSplit in
            guard step.weight >= 100 else {
                return try await context.provider.shift(
                    stable: context.stable, canary: context.canary, percent: step.weight, revision: revision)
            }
            // The completing call also leaves the witness on the target, citing the intent record just written.
            let witness = intent.map { Witness(previous: context.stable, deployment: journal.deployment, citing: $0) }
            return try await context.provider.routeAll(
                to: context.canary, revision: revision, urgent: false, witness: witness)
        }
        let split = try await journal.performing(shifted(nil), completed: { shifted($0) }, move)
        if let failure = try await smoke(context, step: label) {
            return (.reverting(reason: failure), split.revision)
        }
        return (.analyse(step: index), split.revision)
    }
}
