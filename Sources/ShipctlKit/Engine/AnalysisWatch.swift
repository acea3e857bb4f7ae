import Foundation

/// The watch over one step: an evaluation of every metric each `interval`, a failed metric
/// confirmed at its next sample, the judge's metrics waiting for evidence past the pause (a step's
/// `evidence: Nx` until the canary's `ceiling`; else `min_requests` up to `max_extension`), the
/// failure and inconclusive limits. A live canary runs it on the
/// real clock against the metrics backend; `analyze` runs the same watch on a clock that starts
/// in the past against the backend's history, so a replay decides as the canary would have.
struct AnalysisWatch {
    /// How watching a step ended.
    enum Ending: Equatable {
        case passed
        /// A gate failed: which metric, and why.
        case failed(metric: String, reason: String)
        /// The judge still lacked the canary requests it needs when the step's extension ran out.
        case insufficient(String)
        /// A step's evidence was still not shown when the canary reached its ceiling.
        case ceiling(String)
    }

    let analysis: AnalysisConfig
    let source: any MetricSource
    let clock: EngineClock
    /// The judge's counts and tests, kept across the steps: its window is the whole canary.
    let ledger: JudgeLedger
    let placeholders: Placeholders
    let baseline: Placeholders
    /// Whether the judge reads stable's history when the canary starts: only steps with `evidence` use it.
    var readsHistory = false

    /// Watches the metrics for the step's pause — longer while a judged metric waits for the step's
    /// evidence (up to the canary's ceiling) or for the canary requests it needs (up to `max_extension`) —
    /// and says how it ended. A metric once shown to hold the evidence stays shown: the bound holds at
    /// every evaluation at once, so the lowest it has been is as valid as the last.
    func watch(step: CanaryStep, label: String, tally: inout AnalysisTally, observer: some AnalysisWatchObserver)
        async throws(ShipctlError) -> Ending
    {
        let pause = step.pause
        let metrics = analysis.metrics
        let evaluator = MetricEvaluator(source: source)
        let deadline = clock.now() + pause
        let judge = analysis.judge
        let judged = metrics.filter { $0.isJudged && !$0.dryRun }
        // Judged metrics lacking requests, and why, as of the last evaluation: while any does, the step waits past its pause.
        var waitingFor: [String] = judged.map { "\($0.name): not evaluated yet" }
        var announcedWait = false
        var proven: Set<String> = []
        // The judge's window opens when the first step's watch begins, right after the canary got its traffic.
        let since = ledger.start(at: clock.wallNow())
        // A step waiting for evidence waits until the canary's ceiling, counted from that start.
        let ceiling = clock.now() + (judge.ceiling - .seconds(clock.wallNow().timeIntervalSince(since)))
        let extended = step.evidence != nil ? max(ceiling, deadline) : deadline + judge.maxExtension
        let interval = analysis.interval
        var next = clock.now() + interval
        // Metrics that failed their last evaluation: they are evaluated again as soon as
        // there is a new sample, so failure_limit is spent in seconds, not intervals.
        var confirming: [MetricConfig] = []
        var lastEvaluated = clock.wallNow()
        // Rounds of evaluation made this step, against those its pause has room for.
        var rounds = 0
        let roundsDue = Int(pause.timeInterval / max(interval.timeInterval, 0.001))
        while true {
            let end = waitingFor.isEmpty ? deadline : extended
            let remaining = end - clock.now()
            // A failure still waiting for its confirmation keeps the step open past its pause
            // (by one interval at most): a gate never passes on an unconfirmed failure.
            guard remaining > .zero || !confirming.isEmpty else {
                if let missing = Self.missingEvaluations(metrics, rounds: rounds, due: roundsDue, tally: &tally) {
                    return missing
                }
                if waitingFor.isEmpty { return .passed }
                let lacking = waitingFor.joined(separator: "; ")
                return step.evidence != nil
                    ? .ceiling(
                        "\(lacking) when the canary reached its ceiling of \(DurationParser.format(judge.ceiling))")
                    : .insufficient("\(lacking) after \(DurationParser.format(judge.maxExtension)) more")
            }
            if !waitingFor.isEmpty, !announcedWait, clock.now() >= deadline {
                announcedWait = true
                let then =
                    step.evidence != nil
                    ? "the canary's ceiling, then on_ceiling: \(judge.onCeiling.rawValue)"
                    : "max_extension, then on_insufficient: \(judge.onInsufficient.rawValue)"
                try await observer.waitingPastPause(
                    label: label, waitingFor: waitingFor, upTo: max(extended - clock.now(), .zero), then: then)
            }
            if await observer.shouldStop() { return .passed }
            var due = metrics
            // Metrics whose confirmation found no newer sample: the same sample is never counted twice.
            var stale: Set<String> = []
            if !confirming.isEmpty {
                due = confirming
                guard let found = await confirmations(of: confirming, after: lastEvaluated) else { return .passed }
                stale = found
                // The confirmation stands in for the next regular evaluation.
                next = clock.now() + interval
            } else {
                let untilNext = next - clock.now()
                if untilNext > .zero {
                    // Cancellation (a signal) ends the pause early; the caller decides what follows.
                    do { try await clock.sleep(min(untilNext, remaining)) } catch { return .passed }
                }
                if clock.now() >= deadline && metrics.isEmpty { return .passed }
                next = next + interval
                guard !metrics.isEmpty else { continue }
            }
            lastEvaluated = clock.wallNow()
            let window = "\(max(1, Int(clock.wallNow().timeIntervalSince(since).rounded(.up))))s"
            var evaluations = await evaluate(
                due.filter { !stale.contains($0.name) }, evaluator: evaluator, window: window, proving: step.evidence)
            for metric in due where stale.contains(metric.name) {
                evaluations.append(
                    MetricEvaluation.noNewSample(
                        metric, query: metric.source.filled(placeholders).display, waited: interval))
            }
            rounds += 1
            let leftMs = max(Int64(0), (deadline - clock.now()).milliseconds)
            try await observer.evaluated(evaluations, label: label, confirming: !confirming.isEmpty, leftMs: leftMs)
            var stop: Ending?
            for evaluation in evaluations {
                if stop == nil, let reason = tally.record(evaluation) {
                    stop = .failed(metric: evaluation.metric, reason: reason)
                }
            }
            if let stop { return stop }
            // A judged metric keeps waiting until the canary has had the requests it needs; one that could not be read keeps its state.
            for evaluation in evaluations
            where evaluation.verdict != .inconclusive && judged.contains(where: { $0.name == evaluation.metric })
                && !proven.contains(evaluation.metric)
            {
                waitingFor.removeAll { $0.hasPrefix("\(evaluation.metric): ") }
                if evaluation.verdict == .waiting { waitingFor.append("\(evaluation.metric): \(evaluation.reason)") }
                if evaluation.verdict == .proven { proven.insert(evaluation.metric) }
            }
            let failed = Set(evaluations.filter { $0.verdict == .fail && !$0.dryRun && $0.judge == nil }.map(\.metric))
            confirming = due.filter { failed.contains($0.name) }
            if clock.now() >= deadline && confirming.isEmpty && waitingFor.isEmpty {
                return Self.missingEvaluations(metrics, rounds: rounds, due: roundsDue, tally: &tally) ?? .passed
            }
        }
    }

    /// The failure that evaluations due in the step and never made add up to, if they pass the inconclusive
    /// limit: a read that hangs past the interval must not leave a step with one look where it should have had four.
    private static func missingEvaluations(
        _ metrics: [MetricConfig], rounds: Int, due: Int, tally: inout AnalysisTally
    ) -> Ending? {
        for metric in metrics where !metric.dryRun {
            if let reason = tally.recordMissing(metric.name, count: due - rounds, due: due) {
                return .failed(metric: metric.name, reason: reason)
            }
        }
        return nil
    }

    /// Waits for the confirming metrics' next samples; the names of those that got none, or nil when cancelled.
    private func confirmations(of confirming: [MetricConfig], after lastEvaluated: Date) async -> Set<String>? {
        let limit = analysis.interval
        switch analysis.confirm {
        case .nextSample:
            let waits = confirming.map { ($0.name, $0.source.filled(placeholders)) }
            let (source, clock) = (source, clock)
            let stale = await withTaskGroup(of: (String, Bool?).self) { group in
                for (name, query) in waits {
                    group.addTask {
                        (
                            name,
                            await source.awaitNewSample(for: query, after: lastEvaluated, limit: limit, clock: clock)
                        )
                    }
                }
                var found: Set<String> = []
                for await (name, fresh) in group where fresh == false { found.insert(name) }
                return found
            }
            return Task.isCancelled ? nil : stale
        case .after(let delay):
            do { try await clock.sleep(min(delay, limit)) } catch { return nil }
            return []
        }
    }

    /// One round: every due metric evaluated at once, answers in the order of the configuration.
    private func evaluate(_ metrics: [MetricConfig], evaluator: MetricEvaluator, window: String, proving: Double?)
        async -> [MetricEvaluation]
    {
        let (ledger, judge, placeholders, baseline, readsHistory) = (
            ledger, analysis.judge, placeholders, baseline, readsHistory
        )
        return await withTaskGroup(of: (Int, MetricEvaluation).self) { group in
            for (position, metric) in metrics.enumerated() {
                group.addTask {
                    if metric.mannWhitney {
                        return (
                            position,
                            await evaluator.judgeShift(
                                metric, placeholders: placeholders, ledger: ledger, config: judge)
                        )
                    }
                    guard metric.total != nil else {
                        return (position, await evaluator.evaluate(metric, canary: placeholders, baseline: baseline))
                    }
                    return (
                        position,
                        await evaluator.judge(
                            metric, placeholders: placeholders, window: window, ledger: ledger, config: judge,
                            evidence: proving, readsHistory: readsHistory)
                    )
                }
            }
            var collected: [(Int, MetricEvaluation)] = []
            for await item in group { collected.append(item) }
            return collected.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }
}
