import Foundation

/// The analysis phase: the metrics watched through a step's pause, failures confirmed at the next scrape.
extension CanaryRun {
    /// The step's pause, watched; then the next step, the revert, or the end.
    func analyse(_ context: StepContext, step index: Int, tally: inout AnalysisTally) async throws(ShipctlError)
        -> CanaryEngine.Phase
    {
        let step = service.steps[index]
        let label = Self.label(index, of: service.steps.count)
        let ending = try await watch(context, step: step, label: label, tally: &tally)
        reporter.endGroup()
        if let signal = dependencies.cancellation.signal { return .cancelling(signal: signal) }
        if let lost = await lockLost() { return lost }
        switch ending {
        case .passed: break
        case .failed(_, let reason): return .reverting(reason: reason)
        case .insufficient(let reason):
            if let next = try await insufficient(context, reason: reason, label: label) { return next }
        }
        if index + 1 < service.steps.count { return .shift(step: index + 1) }
        try await recorder.record(
            .info, AuditAction.deploymentFinish, step: "finish",
            args: ["version": .string(context.canary), "previous": .string(context.stable)],
            outcome: DeploymentOutcome.succeeded.rawValue)
        reporter.event(
            "finish", "\(service.name)/\(env.name): version \(context.canary) serves 100% and is now last-known-good",
            ["outcome": "succeeded", "version": .string(context.canary)])
        return .done(.succeeded)
    }

    /// `on_insufficient`: the revert, a hold that `resume` continues, or the next step (nil).
    func insufficient(_ context: StepContext, reason: String, label: String) async throws(ShipctlError) -> CanaryEngine
        .Phase?
    {
        let judge = service.analysis.judge
        for metric in service.analysis.metrics where metric.isJudged && !metric.dryRun {
            try await recorder.record(
                .info, AuditAction.analysis, step: label,
                args: [
                    "metric": .string(metric.name), "verdict": "insufficient evidence", "reason": .string(reason),
                    "on_insufficient": .string(judge.onInsufficient.rawValue),
                ],
                outcome: "insufficient evidence")
        }
        switch judge.onInsufficient {
        case .revert:
            return .reverting(reason: "insufficient evidence: \(reason)")
        case .hold:
            let held = try await hold(context, reason: "insufficient evidence: \(reason)")
            throw .interrupted("\(label): insufficient evidence (\(reason)); on_insufficient is hold\n\(held)")
        case .continue:
            reporter.warning(
                "\(label): insufficient evidence (\(reason)); on_insufficient is continue: going on without it")
            return nil
        }
    }

    /// Watches the metrics for the step's pause (`AnalysisWatch`), reporting and recording every evaluation.
    func watch(_ context: StepContext, step: CanaryStep, label: String, tally: inout AnalysisTally)
        async throws(ShipctlError) -> AnalysisWatch.Ending
    {
        guard step.pause > .zero else { return .passed }
        if options.dryRun {
            for metric in service.analysis.metrics {
                let query = metric.source.filled(context.placeholders).display
                reporter.event(
                    "dry-run",
                    "would watch \(metric.name) (\(MetricEvaluator.describeThreshold(metric))) every \(DurationParser.format(service.analysis.interval)) for \(DurationParser.format(step.pause)): \(query)"
                )
            }
            return .passed
        }
        let source = ServiceParts.metricSource(config: engine.config, env: env, dependencies: dependencies)
        let watch = AnalysisWatch(
            analysis: service.analysis, source: source, clock: dependencies.clock, ledger: judgeLedger,
            placeholders: context.placeholders, baseline: context.baseline)
        return try await watch.watch(pause: step.pause, label: label, tally: &tally, observer: self)
    }
}

/// A live canary's watch: every evaluation reported and recorded; the lock asked after each interval.
extension CanaryRun: AnalysisWatchObserver {
    func waitingPastPause(label: String, waitingFor: [String], judge: JudgeConfig) {
        reporter.event(
            "waiting",
            "\(label): the pause is over but the judge lacks evidence (\(waitingFor.joined(separator: "; "))); "
                + "waiting up to \(DurationParser.format(judge.maxExtension)) more, then on_insufficient: \(judge.onInsufficient.rawValue)",
            ["step": .string(label), "max_extension_ms": .int(judge.maxExtension.milliseconds)])
    }

    func evaluated(_ evaluations: [MetricEvaluation], label: String, confirming: Bool, leftMs: Int64)
        async throws(ShipctlError)
    {
        let kind = confirming ? " confirming" : ""
        reporter.event(
            "analysis",
            "\(label) [\(leftMs / 1000)s left]\(kind) " + evaluations.map(\.summary).joined(separator: "; "),
            [
                "step": .string(label), "metrics": .array(evaluations.map { .object($0.auditArgs) }),
                "confirming": .bool(confirming),
                "left_ms": .int(leftMs),
            ])
        for evaluation in evaluations {
            var args = evaluation.auditArgs
            if confirming { args["confirming"] = .bool(true) }
            try await recorder.record(
                .info, AuditAction.analysis, step: label, args: args, outcome: evaluation.verdict.rawValue)
        }
    }

    /// Each interval asks after the lock too, which keeps its connection from sitting idle.
    func shouldStop() async -> Bool {
        await lockWatch.check(dependencies.store, recorder.scope, holder: recorder.lockHolder) != nil
    }
}
