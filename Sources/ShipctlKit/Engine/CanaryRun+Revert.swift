import Foundation

/// The ends that are not success: revert (with the flags beside it), cancel, hold.
extension CanaryRun {
    /// A signal arrived: revert, or with `--on-cancel hold` leave the split for `resume`/`abort`.
    func cancel(_ context: StepContext, signal: Int32) async throws(ShipctlError) -> PromoteEnding {
        let reason = "cancelled by \(CancellationState.name(signal))"
        if options.holdOnCancel {
            return .cancelled(signal: signal, outcome: try await hold(context, reason: reason))
        }
        let revertedTo = try await revert(context, reason: reason, flipFlags: false, outcome: .cancelled)
        return .cancelled(signal: signal, outcome: "traffic reverted to version \(revertedTo)")
    }

    /// `--on-cancel=hold`: leaves traffic where it is and the deployment open,
    /// so `resume` or `abort` can take it from here.
    func hold(_ context: StepContext, reason: String) async throws(ShipctlError) -> String {
        let live = (try? await context.provider.readSplit())?.description ?? "unknown"
        try await journal.emit(
            .held(step: "cancel", reason: reason, live: live, outcome: DeploymentOutcome.cancelled.rawValue))
        return """
            traffic held as it is (\(live)) at the user's request
              continue it: shipctl resume --service \(service.name) --env \(env.name)
              revert it:   shipctl abort --service \(service.name) --env \(env.name)
            """
    }

    /// Puts all traffic back on stable (when configured), flips the flags, and
    /// records how the deployment ended. Returns the version traffic is on.
    func revert(_ context: StepContext, reason: String, flipFlags: Bool, outcome: DeploymentOutcome = .rolledBack)
        async throws(ShipctlError) -> String
    {
        // The log keeps no record of it (the revert's records carry the reason), so this cannot fail.
        try? await journal.emit(.gateFailed(canary: context.canary, reason: reason))
        var liveVersion = context.canary
        let flipper = FlagFlipper(
            journal: journal,
            store: ServiceParts.flagStore(config: engine.config, env: env, dependencies: dependencies),
            reporter: reporter)
        let flips = flipFlags ? service.onFailure.flags : []
        // The flags flip beside the revert, never before it in the log and never in its way.
        var flagging: Task<ShipctlError?, Never>?
        if service.onFailure.revert {
            do {
                // Traffic first: a log that cannot be written (its database restarting) must not keep users on a failing canary.
                _ = try await journal.performing(
                    .reverted(
                        target: context.provider.target, to: context.stable, from: context.canary, reason: reason),
                    delivery: .kept(regardless: "traffic goes back regardless")
                ) { _ async throws(ShipctlError) -> TrafficSplit in
                    flagging = flipper.start(flips, placeholders: context.placeholders, step: "on_failure")
                    return try await context.provider.routeAll(to: context.stable, revision: nil, urgent: true)
                }
                liveVersion = context.stable
            } catch {
                _ = await flagging?.value
                let live = (try? await context.provider.readSplit())?.description ?? "unknown"
                throw .runtime(
                    "reverting to version \(context.stable) failed: \(error.description)\n  live traffic now: \(live)",
                    hint: "put traffic back by hand: \(context.provider.manualRouteAllCommand(to: context.stable))")
            }
        } else {
            reporter.warning("on_failure.revert is false: traffic stays where it is")
            flagging = flipper.start(flips, placeholders: context.placeholders, step: "on_failure")
        }
        let flagError = await flagging?.value ?? nil
        // Traffic is where it should be; an end the log cannot take now waits in the spool (or, without one,
        // leaves the deployment unfinished in the log for `resume` to finish).
        try? await journal.emit(
            .ended(step: "finish", version: liveVersion, reason: reason, canary: context.canary, outcome: outcome),
            delivery: .kept(regardless: "the end of the deployment is not in the log yet"))
        if let flagError { throw flagError }
        return liveVersion
    }
}
