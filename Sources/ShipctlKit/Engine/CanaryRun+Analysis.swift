import Foundation

/// The analysis phase: the metrics watched through a step's pause, failures confirmed at the next scrape.
extension CanaryRun {
    /// The step's pause, watched; then the next step, the revert, or the end.
    func analyse(_ context: StepContext, step index: Int, tally: inout AnalysisTally) async throws(ShipctlError) -> CanaryEngine.Phase {
        let step = service.steps[index]
        let failure = try await watch(context, step: step, label: Self.label(index, of: service.steps.count), tally: &tally)
        reporter.endGroup()
        if let signal = dependencies.cancellation.signal { return .cancelling(signal: signal) }
        if let lost = await lockLost() { return lost }
        if let failure { return .reverting(reason: failure) }
        if index + 1 < service.steps.count { return .shift(step: index + 1) }
        try await recorder.record(.info, AuditAction.deploymentFinish, step: "finish",
                                  args: ["version": .string(context.canary), "previous": .string(context.stable)],
                                  outcome: DeploymentOutcome.succeeded.rawValue)
        reporter.event("finish", "\(service.name)/\(env.name): version \(context.canary) serves 100% and is now last-known-good",
                       ["outcome": "succeeded", "version": .string(context.canary)])
        return .done(.succeeded)
    }

    /// Watches the metrics for the step's pause; returns why the canary must stop, if it must.
    func watch(_ context: StepContext, step: CanaryStep, label: String, tally: inout AnalysisTally) async throws(ShipctlError) -> String? {
        guard step.pause > .zero else { return nil }
        let metrics = service.analysis.metrics
        if options.dryRun {
            for metric in metrics {
                let query = metric.source.filled(context.placeholders).display
                reporter.event("dry-run", "would watch \(metric.name) (\(MetricEvaluator.describeThreshold(metric))) every \(DurationParser.format(service.analysis.interval)) for \(DurationParser.format(step.pause)): \(query)")
            }
            return nil
        }
        let source = ProviderFactory.metricSource(config: engine.config, env: env, dependencies: dependencies)
        let evaluator = MetricEvaluator(source: source)
        let clock = dependencies.clock
        let deadline = clock.now() + step.pause
        let interval = service.analysis.interval
        var next = clock.now() + interval
        // Metrics that failed their last evaluation: they are evaluated again as soon as
        // there is a new sample, so failure_limit is spent in seconds, not intervals.
        var confirming: [MetricConfig] = []
        var lastEvaluated = clock.wallNow()
        while true {
            let remaining = deadline - clock.now()
            // A failure still waiting for its confirmation keeps the step open past its pause
            // (by one interval at most): a gate never passes on an unconfirmed failure.
            guard remaining > .zero || !confirming.isEmpty else { return nil }
            // Each interval asks after the lock too, which keeps its connection from sitting idle.
            if await lockWatch.check(dependencies.store, recorder.scope, holder: recorder.lockHolder) != nil { return nil }
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
                    if Task.isCancelled { return nil }
                case let .after(delay):
                    do { try await clock.sleep(min(delay, limit)) } catch { return nil }
                }
                // The confirmation stands in for the next regular evaluation.
                next = clock.now() + interval
            } else {
                let untilNext = next - clock.now()
                if untilNext > .zero {
                    // Cancellation (a signal) ends the pause early; the caller decides what follows.
                    do { try await clock.sleep(min(untilNext, remaining)) } catch { return nil }
                }
                if clock.now() >= deadline && metrics.isEmpty { return nil }
                next = next + interval
                guard !metrics.isEmpty else { continue }
            }
            lastEvaluated = clock.wallNow()
            let fresh = due.filter { !stale.contains($0.name) }
            var evaluations = await withTaskGroup(of: (Int, MetricEvaluation).self) { group in
                for (position, metric) in fresh.enumerated() {
                    group.addTask { (position, await evaluator.evaluate(metric, canary: context.placeholders, baseline: context.baseline)) }
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
            if let stopReason { return stopReason }
            let failed = Set(evaluations.filter { $0.verdict == .fail && !$0.dryRun }.map(\.metric))
            confirming = due.filter { failed.contains($0.name) }
            if clock.now() >= deadline && confirming.isEmpty { return nil }
        }
    }
}
