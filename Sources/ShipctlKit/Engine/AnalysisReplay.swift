import Foundation

/// `shipctl analyze`: a service's configured analysis replayed over a window of history through
/// the watch a live canary runs (`AnalysisWatch`): the steps' pauses from `--from` on, one
/// evaluation every `analysis.interval`, failures confirmed, the judge's metrics compared with
/// stable and waiting for evidence, `on_insufficient`, the failure and inconclusive limits. So a
/// threshold or the judge can be tried on past releases before it decides the next one.
public struct AnalysisReplay: Sendable {
    /// What one metric did over the window.
    public struct MetricSummary: Sendable {
        public var name: String
        public var query: String
        public var threshold: String
        public var passes = 0
        public var failures = 0
        public var inconclusives = 0
        /// Evaluations of a judged metric that still lacked the canary requests it needs.
        public var waiting = 0
        public var firstFailure: (at: Date, value: Double?)?
        /// The value farthest past the threshold, or the largest when none failed.
        public var worst: Double?
        /// Evaluations the backend gave no usable answer to (unreachable, an error, NaN).
        public var unanswered = 0
        /// Why the first of those could not be judged.
        public var firstUnanswered: String?
    }

    public struct Outcome: Sendable {
        public var version: String
        public var baseline: String?
        public var from: Date
        public var to: Date
        public var evaluations: Int
        public var metrics: [MetricSummary]
        /// When and why the gate would have stopped the canary; nil when it would have passed.
        public var tripped: (at: Date, metric: String, reason: String)?
        /// When the judge would have held the canary for lack of evidence (`on_insufficient: hold`).
        public var held: (at: Date, reason: String)?
        /// When the steps' pauses ended, if before the window did: the rest was watched as one more span.
        public var stepsEnded: Date?

        /// Nothing could be judged: the backend gave no usable answer to any evaluation of any metric, so
        /// a trip would say nothing about the version (a version with no series at all does trip the gate).
        public var judgedNothing: Bool {
            evaluations > 0 && metrics.allSatisfy { $0.unanswered > 0 && $0.unanswered == $0.inconclusives }
                && metrics.allSatisfy { $0.passes + $0.failures + $0.waiting == 0 }
        }
    }

    /// More evaluations than this in one window is a typo in `--from`, not a question.
    public static let evaluationLimit = 11_000

    public let service: ServiceConfig
    public let env: EnvironmentConfig
    private let config: ShipctlConfig
    private let dependencies: Dependencies

    public init(config: ShipctlConfig, service: ServiceConfig, env: EnvironmentConfig, dependencies: Dependencies) {
        self.config = config
        self.service = service
        self.env = env
        self.dependencies = dependencies
    }

    public func run(version: String, baseline: String?, from start: Date, to end: Date) async throws(ShipctlError)
        -> Outcome
    {
        let analysis = service.analysis
        guard !analysis.metrics.isEmpty else {
            throw .usage("\(service.name) has no metrics under analysis.metrics; there is nothing to replay")
        }
        guard start < end else {
            throw .usage("--from \(Timestamp.format(start)) is not before --to \(Timestamp.format(end))")
        }
        let interval = analysis.interval
        let span = (end.timeIntervalSince(start) / interval.timeInterval).rounded(.down) + 1
        guard span.isFinite, span <= Double(Self.evaluationLimit) else {
            throw .usage(
                "the window holds \(span.isFinite ? String(format: "%.0f", span) : "too many") evaluations at the \(DurationParser.format(interval)) interval, more than \(Self.evaluationLimit)",
                hint: "narrow it with --from and --to")
        }
        if baseline == nil, let metric = analysis.metrics.first(where: { $0.maxRatioToBaseline != nil || $0.isJudged })
        {
            let why =
                metric.isJudged
                ? "judges \(metric.name) against stable" : "compares with a baseline (max_ratio_to_baseline)"
            throw .usage("\(service.name) \(why); name the stable version with --baseline V")
        }
        let canary = Placeholders.deployment(service: service, env: env, canary: version, stable: baseline ?? "")
        let stable = canary.withCanary(baseline ?? "")
        let base = ServiceParts.metricSource(config: config, env: env, dependencies: dependencies)

        // Each query that reads the same at every evaluation, over the whole window in one read; the judge's are read as they come.
        var histories: [String: MetricRange] = [:]
        for metric in analysis.metrics where !metric.isJudged {
            var queries = [metric.source.filled(canary)]
            if metric.maxRatioToBaseline != nil { queries.append(metric.source.filled(stable)) }
            for query in queries where histories[query.display] == nil {
                histories[query.display] = await base.readRange(query, from: start, to: end, step: interval)
            }
        }

        let clock = ReplayClock(startingAt: start).engineClock
        var watch = AnalysisWatch(
            analysis: analysis, source: HistorySource(base: base, prefetched: histories, clock: clock), clock: clock,
            ledger: JudgeLedger(), placeholders: canary, baseline: stable)
        watch.readsHistory = service.waitsForEvidence
        let observer = AnalysisReplayObserver(metrics: analysis.metrics, placeholders: canary, clock: clock, end: end)
        let fresh = AnalysisTally(failureLimit: analysis.failureLimit, inconclusiveLimit: analysis.inconclusiveLimit)
        var tally = fresh
        var outcome = Outcome(version: version, baseline: baseline, from: start, to: end, evaluations: 0, metrics: [])
        let steps = service.steps.enumerated().compactMap { index, step in
            step.isWatched ? (label: CanaryRun.label(index, of: service.steps.count), step: step) : nil
        }
        var next = 0
        while clock.wallNow() < end {
            if Task.isCancelled { throw .interrupted("analyze was interrupted") }
            let label: String
            var step: CanaryStep
            if next < steps.count {
                (label, step) = steps[next]
            } else {
                // Past the steps the canary would have been promoted; the rest of the window is still judged, for tuning.
                if outcome.stepsEnded == nil { outcome.stepsEnded = clock.wallNow() }
                (label, step) = ("after the steps", CanaryStep(weight: 100, pause: .zero))
            }
            next += 1
            // A step waiting for evidence may take the rest of the window; it ends when the evidence is shown.
            let rest = Duration.seconds(end.timeIntervalSince(clock.wallNow()))
            let stepEnd = clock.now() + (step.evidence == nil && next <= steps.count ? step.pause : rest)
            // A failure is noted and the watch goes on with a fresh tally, so the whole window is summed up.
            while true {
                let left = min(stepEnd - clock.now(), .seconds(end.timeIntervalSince(clock.wallNow())))
                guard left > .zero, !Task.isCancelled else { break }
                step.pause = step.evidence == nil ? left : min(step.pause, left)
                let ending = try await watch.watch(step: step, label: label, tally: &tally, observer: observer)
                if case .failed(let metric, let reason) = ending {
                    if outcome.tripped == nil { outcome.tripped = (clock.wallNow(), metric, reason) }
                    tally = fresh
                    continue
                }
                let lacking: (action: JudgeConfig.OnInsufficient, reason: String)? =
                    switch ending {
                    case .insufficient(let reason): (analysis.judge.onInsufficient, "insufficient evidence: \(reason)")
                    case .ceiling(let reason): (analysis.judge.onCeiling, "ceiling reached: \(reason)")
                    case .passed, .failed: nil
                    }
                if let lacking {
                    let judged = analysis.metrics.filter { $0.isJudged && !$0.dryRun }.map(\.name).joined(
                        separator: ", ")
                    switch lacking.action {
                    case .revert where outcome.tripped == nil:
                        outcome.tripped = (clock.wallNow(), judged, lacking.reason)
                    case .hold where outcome.held == nil: outcome.held = (clock.wallNow(), lacking.reason)
                    default: break
                    }
                }
                break
            }
        }
        outcome.evaluations = observer.rounds
        outcome.metrics = observer.summaries
        return outcome
    }
}

extension AnalysisReplay.Outcome {
    /// The lines `shipctl analyze` prints: one per metric, then the verdict.
    public var lines: [String] {
        var lines = [
            "replayed \(evaluations) evaluation(s) of version \(version)\(baseline.map { " against \($0)" } ?? "") from \(Timestamp.format(from)) to \(Timestamp.format(to))"
        ]
        for metric in metrics {
            var line =
                "\(metric.name) (\(metric.threshold)): \(metric.passes) pass, \(metric.failures) fail, \(metric.inconclusives) inconclusive"
            if metric.waiting > 0 { line += ", \(metric.waiting) waiting for evidence" }
            if let worst = metric.worst { line += "; worst \(MetricEvaluation.format(worst))" }
            if let first = metric.firstFailure {
                line +=
                    "; first failure at \(Timestamp.format(first.at)) (\(first.value.map(MetricEvaluation.format) ?? "no value"))"
            }
            lines.append(line + "; query: \(metric.query)")
        }
        if let stepsEnded {
            lines.append(
                "the steps' pauses ended at \(Timestamp.format(stepsEnded)); the rest of the window was judged as if the canary stayed"
            )
        }
        if let held {
            lines.append("the judge would have held the canary at \(Timestamp.format(held.at)): \(held.reason)")
        }
        if let tripped {
            lines.append(
                "the gate would have tripped at \(Timestamp.format(tripped.at)) on \(tripped.metric): \(tripped.reason)"
            )
        } else {
            lines.append("the gate would have passed this window")
        }
        return lines
    }

    public var json: JSONValue {
        .object([
            "version": .string(version), "baseline": baseline.map(JSONValue.string) ?? .null,
            "from": .string(Timestamp.format(from)), "to": .string(Timestamp.format(to)),
            "evaluations": .int(Int64(evaluations)),
            "metrics": .array(
                metrics.map { metric in
                    .object([
                        "name": .string(metric.name), "query": .string(metric.query),
                        "threshold": .string(metric.threshold),
                        "pass": .int(Int64(metric.passes)), "fail": .int(Int64(metric.failures)),
                        "inconclusive": .int(Int64(metric.inconclusives)), "waiting": .int(Int64(metric.waiting)),
                        "worst": metric.worst.map(JSONValue.number) ?? .null,
                        "first_failure": metric.firstFailure.map { .string(Timestamp.format($0.at)) } ?? .null,
                    ])
                }),
            "held": held.map { .object(["at": .string(Timestamp.format($0.at)), "reason": .string($0.reason)]) }
                ?? .null,
            "steps_ended": stepsEnded.map { .string(Timestamp.format($0)) } ?? .null,
            "tripped": tripped.map {
                .object([
                    "at": .string(Timestamp.format($0.at)), "metric": .string($0.metric), "reason": .string($0.reason),
                ])
            } ?? .null,
        ])
    }
}
