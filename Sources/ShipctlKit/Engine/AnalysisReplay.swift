import Foundation

/// `shipctl analyze`: a service's configured analysis replayed over a window of
/// history, one evaluation every `analysis.interval`, through the same evaluator
/// and the same failure/inconclusive tally that gate a real canary; so a
/// threshold can be tuned on past releases before it decides the next one.
public struct AnalysisReplay: Sendable {
    /// What one metric did over the window.
    public struct MetricSummary: Sendable {
        public var name: String
        public var query: String
        public var threshold: String
        public var passes = 0
        public var failures = 0
        public var inconclusives = 0
        public var firstFailure: (at: Date, value: Double?)?
        /// The value farthest past the threshold, or the largest when none failed.
        public var worst: Double?
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

    public func run(version: String, baseline: String?, from start: Date, to end: Date) async throws(ShipctlError) -> Outcome {
        var analysis = service.analysis
        // The judge's metrics compare the canary with stable over the canary's own window; their replay is not built yet.
        let judged = analysis.metrics.filter(\.isJudged).map(\.name)
        analysis.metrics.removeAll(where: \.isJudged)
        if !judged.isEmpty {
            dependencies.reporter.warning("not replayed: \(judged.joined(separator: ", ")) (judged against stable; `analyze` replays thresholds only)")
        }
        guard !analysis.metrics.isEmpty else {
            throw .usage("\(service.name) has no threshold metrics under analysis.metrics; there is nothing to replay"
                         + (judged.isEmpty ? "" : " (judged metrics are not replayed yet)"))
        }
        guard start < end else { throw .usage("--from \(Timestamp.format(start)) is not before --to \(Timestamp.format(end))") }
        let interval = analysis.interval
        let span = (end.timeIntervalSince(start) / interval.timeInterval).rounded(.down) + 1
        guard span.isFinite, span <= Double(Self.evaluationLimit) else {
            throw .usage("the window holds \(span.isFinite ? String(format: "%.0f", span) : "too many") evaluations at the \(DurationParser.format(interval)) interval, more than \(Self.evaluationLimit)",
                         hint: "narrow it with --from and --to")
        }
        let count = Int(span)
        if baseline == nil, analysis.metrics.contains(where: { $0.maxRatioToBaseline != nil }) {
            throw .usage("\(service.name) compares with a baseline (max_ratio_to_baseline); name the stable version with --baseline V")
        }
        let canary = Placeholders.deployment(service: service, env: env, canary: version, stable: baseline ?? "")
        let stable = canary.withCanary(baseline ?? "")
        let source = ProviderFactory.metricSource(config: config, env: env, dependencies: dependencies)

        // Every query's history in one read each, then the evaluations from memory.
        var histories: [String: MetricRange] = [:]
        for metric in analysis.metrics {
            var queries = [metric.source.filled(canary)]
            if metric.maxRatioToBaseline != nil { queries.append(metric.source.filled(stable)) }
            for query in queries where histories[query.display] == nil {
                histories[query.display] = await source.readRange(query, from: start, to: end, step: interval)
            }
        }

        var tally = AnalysisTally(failureLimit: analysis.failureLimit, inconclusiveLimit: analysis.inconclusiveLimit)
        var summaries = analysis.metrics.map {
            MetricSummary(name: $0.name, query: $0.source.filled(canary).display, threshold: MetricEvaluator.describeThreshold($0))
        }
        var tripped: (at: Date, metric: String, reason: String)?
        for index in 0..<count {
            let at = start.addingTimeInterval(Double(index) * interval.timeInterval)
            let replay = ReplaySource(histories: histories, at: at, tolerance: interval.timeInterval / 2)
            let evaluator = MetricEvaluator(source: replay)
            for (position, metric) in analysis.metrics.enumerated() {
                let evaluation = await evaluator.evaluate(metric, canary: canary, baseline: stable)
                Self.add(evaluation, at: at, metric: metric, to: &summaries[position])
                if tripped == nil, let reason = tally.record(evaluation) {
                    tripped = (at, metric.name, reason)
                }
            }
        }
        return Outcome(version: version, baseline: baseline, from: start, to: end, evaluations: count, metrics: summaries, tripped: tripped)
    }

    private static func add(_ evaluation: MetricEvaluation, at: Date, metric: MetricConfig, to summary: inout MetricSummary) {
        switch evaluation.verdict {
        case .pass: summary.passes += 1
        case .inconclusive: summary.inconclusives += 1
        case .waiting: break
        case .fail:
            summary.failures += 1
            if summary.firstFailure == nil { summary.firstFailure = (at, evaluation.value) }
        }
        guard let value = evaluation.value else { return }
        // Lower is worse only for a metric that must stay above a minimum.
        let lowerIsWorse = metric.min != nil && metric.max == nil
        if let worst = summary.worst {
            summary.worst = lowerIsWorse ? Swift.min(worst, value) : Swift.max(worst, value)
        } else {
            summary.worst = value
        }
    }
}

extension AnalysisReplay.Outcome {
    /// The lines `shipctl analyze` prints: one per metric, then the verdict.
    public var lines: [String] {
        var lines = ["replayed \(evaluations) evaluation(s) of version \(version)\(baseline.map { " against \($0)" } ?? "") from \(Timestamp.format(from)) to \(Timestamp.format(to))"]
        for metric in metrics {
            var line = "\(metric.name) (\(metric.threshold)): \(metric.passes) pass, \(metric.failures) fail, \(metric.inconclusives) inconclusive"
            if let worst = metric.worst { line += "; worst \(MetricEvaluation.format(worst))" }
            if let first = metric.firstFailure {
                line += "; first failure at \(Timestamp.format(first.at)) (\(first.value.map(MetricEvaluation.format) ?? "no value"))"
            }
            lines.append(line + "; query: \(metric.query)")
        }
        if let tripped {
            lines.append("the gate would have tripped at \(Timestamp.format(tripped.at)) on \(tripped.metric): \(tripped.reason)")
        } else {
            lines.append("the gate would have passed this window")
        }
        return lines
    }

    public var json: JSONValue {
        .object([
            "version": .string(version), "baseline": baseline.map(JSONValue.string) ?? .null,
            "from": .string(Timestamp.format(from)), "to": .string(Timestamp.format(to)), "evaluations": .int(Int64(evaluations)),
            "metrics": .array(metrics.map { metric in
                .object(["name": .string(metric.name), "query": .string(metric.query), "threshold": .string(metric.threshold),
                         "pass": .int(Int64(metric.passes)), "fail": .int(Int64(metric.failures)), "inconclusive": .int(Int64(metric.inconclusives)),
                         "worst": metric.worst.map(JSONValue.number) ?? .null,
                         "first_failure": metric.firstFailure.map { .string(Timestamp.format($0.at)) } ?? .null])
            }),
            "tripped": tripped.map { .object(["at": .string(Timestamp.format($0.at)), "metric": .string($0.metric), "reason": .string($0.reason)]) } ?? .null,
        ])
    }
}
