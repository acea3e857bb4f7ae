import Foundation

/// The analysis phase: the metrics watched through a step's pause, failures confirmed at the next scrape.
extension CanaryRun {
    /// The step's pause, watched; then the next step, the revert, or the end.
    func analyse(_ context: StepContext, step index: Int, tally: inout AnalysisTally) async throws(ShipctlError) -> CanaryEngine.Phase {
        let step = service.steps[index]
        let label = Self.label(index, of: service.steps.count)
        let ending = try await watch(context, step: step, label: label, tally: &tally)
        reporter.endGroup()
        if let signal = dependencies.cancellation.signal { return .cancelling(signal: signal) }
        if let lost = await lockLost() { return lost }
        switch ending {
        case .passed: break
        case let .failed(reason): return .reverting(reason: reason)
        case let .insufficient(reason): if let next = try await insufficient(context, reason: reason, label: label) { return next }
        }
        if index + 1 < service.steps.count { return .shift(step: index + 1) }
        try await recorder.record(.info, AuditAction.deploymentFinish, step: "finish",
                                  args: ["version": .string(context.canary), "previous": .string(context.stable)],
                                  outcome: DeploymentOutcome.succeeded.rawValue)
        reporter.event("finish", "\(service.name)/\(env.name): version \(context.canary) serves 100% and is now last-known-good",
                       ["outcome": "succeeded", "version": .string(context.canary)])
        return .done(.succeeded)
    }

    /// How watching a step ended.
    enum StepEnding {
        case passed
        /// A gate failed: why.
        case failed(String)
        /// The judge still lacked the canary requests it needs when the step's extension ran out.
        case insufficient(String)
    }

    /// `on_insufficient`: the revert, a hold that `resume` continues, or the next step (nil).
    func insufficient(_ context: StepContext, reason: String, label: String) async throws(ShipctlError) -> CanaryEngine.Phase? {
        let judge = service.analysis.judge
        for metric in service.analysis.metrics where metric.isJudged && !metric.dryRun {
            try await recorder.record(.info, AuditAction.analysis, step: label,
                                      args: ["metric": .string(metric.name), "verdict": "insufficient evidence", "reason": .string(reason),
                                             "on_insufficient": .string(judge.onInsufficient.rawValue)],
                                      outcome: "insufficient evidence")
        }
        switch judge.onInsufficient {
        case .revert:
            return .reverting(reason: "insufficient evidence: \(reason)")
        case .hold:
            let held = try await hold(context, reason: "insufficient evidence: \(reason)")
            throw .interrupted("\(label): insufficient evidence (\(reason)); on_insufficient is hold\n\(held)")
        case .continue:
            reporter.warning("\(label): insufficient evidence (\(reason)); on_insufficient is continue: going on without it")
            return nil
        }
    }

    /// Watches the metrics for the step's pause — longer, up to `judge.max_extension`, while a judged
    /// metric waits for the canary requests it needs — and says how it ended.
    func watch(_ context: StepContext, step: CanaryStep, label: String, tally: inout AnalysisTally) async throws(ShipctlError) -> StepEnding {
        guard step.pause > .zero else { return .passed }
        let metrics = service.analysis.metrics
        if options.dryRun {
            for metric in metrics {
                let query = metric.source.filled(context.placeholders).display
                reporter.event("dry-run", "would watch \(metric.name) (\(MetricEvaluator.describeThreshold(metric))) every \(DurationParser.format(service.analysis.interval)) for \(DurationParser.format(step.pause)): \(query)")
            }
            return .passed
        }
        let source = ProviderFactory.metricSource(config: engine.config, env: env, dependencies: dependencies)
        let evaluator = MetricEvaluator(source: source)
        let clock = dependencies.clock
        let deadline = clock.now() + step.pause
        let judge = service.analysis.judge
        let judged = metrics.filter { $0.isJudged && !$0.dryRun }
        // Judged metrics lacking requests, and why, as of the last evaluation: while any does, the step waits past its pause.
        var waitingFor: [String] = judged.map { "\($0.name): not evaluated yet" }
        var announcedWait = false
        // The judge's window opens when the first step's watch begins, right after the canary got its traffic.
        let since = judgeLedger.start(at: clock.wallNow())
        let interval = service.analysis.interval
        var next = clock.now() + interval
        // Metrics that failed their last evaluation: they are evaluated again as soon as
        // there is a new sample, so failure_limit is spent in seconds, not intervals.
        var confirming: [MetricConfig] = []
        var lastEvaluated = clock.wallNow()
        while true {
            let end = waitingFor.isEmpty ? deadline : deadline + judge.maxExtension
            let remaining = end - clock.now()
            // A failure still waiting for its confirmation keeps the step open past its pause
            // (by one interval at most): a gate never passes on an unconfirmed failure.
            guard remaining > .zero || !confirming.isEmpty else {
                return waitingFor.isEmpty ? .passed : .insufficient(waitingFor.joined(separator: "; ") + " after \(DurationParser.format(judge.maxExtension)) more")
            }
            if !waitingFor.isEmpty, !announcedWait, clock.now() >= deadline {
                announcedWait = true
                reporter.event("waiting", "\(label): the pause is over but the judge lacks evidence (\(waitingFor.joined(separator: "; "))); "
                               + "waiting up to \(DurationParser.format(judge.maxExtension)) more, then on_insufficient: \(judge.onInsufficient.rawValue)",
                               ["step": .string(label), "max_extension_ms": .int(judge.maxExtension.milliseconds)])
            }
            // Each interval asks after the lock too, which keeps its connection from sitting idle.
            if await lockWatch.check(dependencies.store, recorder.scope, holder: recorder.lockHolder) != nil { return .passed }
            var due = metrics
            // Metrics whose confirmation found no newer sample: the same sample is never counted twice.
            var stale: Set<String> = []
            if !confirming.isEmpty {
                due = confirming
                let limit = interval
                switch service.analysis.confirm {
                case .nextSample:
                    let waits = confirming.map { ($0.name, $0.source.filled(context.placeholders)) }
                    let since = lastEvaluated
                    stale = await withTaskGroup(of: (String, Bool?).self) { group in
                        for (name, query) in waits {
                            group.addTask { (name, await source.awaitNewSample(for: query, after: since, limit: limit, clock: clock)) }
                        }
                        var found: Set<String> = []
                        for await (name, fresh) in group where fresh == false { found.insert(name) }
                        return found
                    }
                    if Task.isCancelled { return .passed }
                case let .after(delay):
                    do { try await clock.sleep(min(delay, limit)) } catch { return .passed }
                }
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
            let fresh = due.filter { !stale.contains($0.name) }
            let window = "\(max(1, Int(clock.wallNow().timeIntervalSince(since).rounded(.up))))s"
            let ledger = judgeLedger
            var evaluations = await withTaskGroup(of: (Int, MetricEvaluation).self) { group in
                for (position, metric) in fresh.enumerated() {
                    group.addTask {
                        if metric.mannWhitney {
                            return (position, await evaluator.judgeShift(metric, placeholders: context.placeholders, ledger: ledger, config: judge))
                        }
                        guard metric.total != nil else {
                            return (position, await evaluator.evaluate(metric, canary: context.placeholders, baseline: context.baseline))
                        }
                        return (position, await evaluator.judge(metric, placeholders: context.placeholders, window: window, ledger: ledger, config: judge))
                    }
                }
                var collected: [(Int, MetricEvaluation)] = []
                for await item in group { collected.append(item) }
                return collected.sorted { $0.0 < $1.0 }.map(\.1)
            }
            for metric in due where stale.contains(metric.name) {
                evaluations.append(MetricEvaluation.noNewSample(metric, query: metric.source.filled(context.placeholders).display,
                                                                 waited: interval))
            }
            let leftMs = max(Int64(0), (deadline - clock.now()).milliseconds)
            let left = leftMs / 1000
            let kind = confirming.isEmpty ? "" : " confirming"
            reporter.event("analysis", "\(label) [\(left)s left]\(kind) " + evaluations.map(\.summary).joined(separator: "; "),
                           ["step": .string(label), "metrics": .array(evaluations.map { .object($0.auditArgs) }), "confirming": .bool(!confirming.isEmpty),
                            "left_ms": .int(leftMs)])
            var stopReason: String?
            for evaluation in evaluations {
                var args = evaluation.auditArgs
                if !confirming.isEmpty { args["confirming"] = .bool(true) }
                try await recorder.record(.info, AuditAction.analysis, step: label, args: args, outcome: evaluation.verdict.rawValue)
                if stopReason == nil, let reason = tally.record(evaluation) { stopReason = reason }
            }
            if let stopReason { return .failed(stopReason) }
            // A judged metric keeps waiting until the canary has had the requests it needs; one that could not be read keeps its state.
            for evaluation in evaluations where evaluation.verdict != .inconclusive && judged.contains(where: { $0.name == evaluation.metric }) {
                waitingFor.removeAll { $0.hasPrefix("\(evaluation.metric): ") }
                if evaluation.verdict == .waiting { waitingFor.append("\(evaluation.metric): \(evaluation.reason)") }
            }
            let failed = Set(evaluations.filter { $0.verdict == .fail && !$0.dryRun && $0.judge == nil }.map(\.metric))
            confirming = due.filter { failed.contains($0.name) }
            if clock.now() >= deadline && confirming.isEmpty && waitingFor.isEmpty { return .passed }
        }
    }
}
