import Foundation

/// The ends that are not success: revert (with the flags beside it), cancel, hold.
extension CanaryRun {
    /// A signal arrived: revert, or with `--on-cancel hold` leave the split for `resume`/`abort`.
    func cancel(_ context: StepContext, signal: Int32) async throws(ShipctlError) -> ShipctlError {
        reporter.endGroup()
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
        try await recorder.record(
            .info, AuditAction.deploymentHold, step: "cancel",
            args: ["reason": .string(reason), "live": .string(live)], outcome: DeploymentOutcome.cancelled.rawValue)
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
        reporter.event(
            "gate-failed", "canary of version \(context.canary) stopped: \(reason)", ["reason": .string(reason)])
        var liveVersion = context.canary
        let flipper = FlagFlipper(
            recorder: recorder,
            store: ServiceParts.flagStore(config: engine.config, env: env, dependencies: dependencies),
            reporter: reporter)
        let flips = flipFlags ? service.onFailure.flags : []
        // The flags flip beside the revert, never before it in the log and never in its way.
        var flagging: Task<ShipctlError?, Never>?
        if service.onFailure.revert {
            do {
                // Traffic first: a log that cannot be written (its database restarting) must not keep users on a failing canary.
                _ = try await recorder.performingFirst(
                    AuditAction.trafficRevert, step: "revert",
                    args: ["to": .string(context.stable), "from": .string(context.canary), "reason": .string(reason)],
                    unwritten: { reporter.warning("traffic goes back regardless: \($0)") },
                    { () async throws(ShipctlError) -> TrafficSplit in
                        flagging = flipper.start(flips, placeholders: context.placeholders, step: "on_failure")
                        return try await context.provider.routeAll(to: context.stable, revision: nil, urgent: true)
                    })
                liveVersion = context.stable
                reporter.event(
                    "revert", "reverted \(context.provider.target): 100% on \(context.stable)",
                    ["to": .string(context.stable)])
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
        await recorder.recordOrKeep(
            .info, AuditAction.deploymentFinish, step: "finish",
            args: ["version": .string(liveVersion), "reason": .string(reason), "canary": .string(context.canary)],
            outcome: outcome.rawValue
        ) { reporter.warning("the end of the deployment is not in the log yet: \($0)") }
        if let flagError { throw flagError }
        return liveVersion
    }
}
