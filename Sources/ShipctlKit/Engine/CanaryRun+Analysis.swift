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
        if let signal = dependencies.cancellation.signal { return .cancelling(signal: signal) }
        if let lost = await lockLost() { return lost }
        switch ending {
        case .passed: break
        case .failed(_, let reason): return .reverting(reason: reason)
        case .insufficient(let reason):
            if let next = try await insufficient(context, reason: reason, label: label, ceiling: false) {
                return next
            }
        case .ceiling(let reason):
            if let next = try await insufficient(context, reason: reason, label: label, ceiling: true) { return next }
        }
        if index + 1 < service.steps.count { return .shift(step: index + 1) }
        try await journal.emit(.promoted(version: context.canary, previous: context.stable))
        return .done(.promoted)
    }

    /// `on_insufficient` (or, at the canary's ceiling, `on_ceiling`): the revert, a hold that `resume`
    /// continues, or the next step (nil).
    func insufficient(_ context: StepContext, reason: String, label: String, ceiling: Bool)
        async throws(ShipctlError) -> CanaryEngine.Phase?
    {
        let judge = service.analysis.judge
        let action = ceiling ? judge.onCeiling : judge.onInsufficient
        let (key, what) = ceiling ? ("on_ceiling", "ceiling reached") : ("on_insufficient", "insufficient evidence")
        try await journal.emit(
            .insufficientEvidence(
                step: label, metrics: service.analysis.metrics.filter { $0.isJudged && !$0.dryRun }.map(\.name),
                reason: reason, action: action.rawValue, ceiling: ceiling))
        switch action {
        case .revert:
            return .reverting(reason: "\(what): \(reason)")
        case .hold:
            let held = try await hold(context, reason: "\(what): \(reason)")
            return .done(.held("\(label): \(what) (\(reason)); \(key) is hold\n\(held)"))
        case .continue:
            reporter.warning("\(label): \(what) (\(reason)); \(key) is continue: going on without it")
            return nil
        }
    }

    /// Watches the metrics for the step's pause (`AnalysisWatch`), reporting and recording every evaluation.
    func watch(_ context: StepContext, step: CanaryStep, label: String, tally: inout AnalysisTally)
        async throws(ShipctlError) -> AnalysisWatch.Ending
    {
        guard step.isWatched else { return .passed }
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
        var watch = AnalysisWatch(
            analysis: service.analysis, source: source, clock: dependencies.clock, ledger: judgeLedger,
            placeholders: context.placeholders, baseline: context.baseline)
        watch.readsHistory = service.waitsForEvidence
        return try await watch.watch(step: step, label: label, tally: &tally, observer: self)
    }
}

/// A live canary's watch: every evaluation reported and recorded; the lock asked after each interval.
extension CanaryRun: AnalysisWatchObserver {
    func waitingPastPause(label: String, waitingFor: [String], upTo: Duration, then: String) async throws(ShipctlError)
    {
        try await journal.emit(.waitingForEvidence(step: label, waitingFor: waitingFor, upTo: upTo, then: then))
    }

    func evaluated(_ evaluations: [MetricEvaluation], label: String, confirming: Bool, leftMs: Int64)
        async throws(ShipctlError)
    {
        try await journal.emit(
            .evaluated(step: label, evaluations: evaluations, confirming: confirming, leftMs: leftMs))
    }

    /// Each interval asks after the lock too, which keeps its connection from sitting idle.
    func shouldStop() async -> Bool {
        await lockWatch.check(dependencies.store, journal.scope, holder: journal.lockHolder) != nil
    }
}
