import Foundation

/// The shift phase: move the canary's share of traffic to the step's weight, then smoke-test it.
extension CanaryRun {
    static func label(_ index: Int, of count: Int) -> String { "step \(index + 1)/\(count)" }

    func shift(_ context: StepContext, step index: Int, revision: String?) async throws(ShipctlError) -> (
        CanaryEngine.Phase, String?
    ) {
        let step = service.steps[index]
        let label = Self.label(index, of: service.steps.count)
        reporter.beginGroup("\(label): \(Percent.format(step.weight))% on version \(context.canary)")
        let split: TrafficSplit
        if step.weight >= 100 {
            // The completing call also leaves the witness on the target, citing the intent record just written.
            split = try await recorder.performing(
                AuditAction.trafficComplete, step: label,
                args: ["weight": 100, "canary": .string(context.canary), "stable": .string(context.stable)]
            ) { (intent: AuditRecord?) async throws(ShipctlError) -> TrafficSplit in
                let witness = intent.map {
                    Witness(previous: context.stable, deployment: recorder.deployment, citing: $0)
                }
                return try await context.provider.routeAll(
                    to: context.canary, revision: revision, urgent: false, witness: witness)
            }
        } else {
            var args: [String: JSONValue] = [
                "weight": .number(step.weight), "canary": .string(context.canary), "stable": .string(context.stable),
            ]
            if step.pause > .zero { args["pause"] = .string(DurationParser.format(step.pause)) }
            split = try await recorder.performing(AuditAction.trafficShift, step: label, args: args) {
                () async throws(ShipctlError) -> TrafficSplit in
                try await context.provider.shift(
                    stable: context.stable, canary: context.canary, percent: step.weight, revision: revision)
            }
        }
        reporter.event(
            "shift", "\(label): \(context.provider.target) now \(split.description)",
            [
                "step": .int(Int64(index + 1)), "steps": .int(Int64(service.steps.count)),
                "weight": .number(step.weight),
                "pause_ms": .int(step.pause.milliseconds), "split": split.json,
            ])
        if let failure = try await smoke(context, step: label) {
            reporter.endGroup()
            return (.reverting(reason: failure), split.revision)
        }
        return (.analyse(step: index), split.revision)
    }
}
