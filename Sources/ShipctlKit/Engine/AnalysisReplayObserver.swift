import Foundation

/// `analyze`'s side of the watch: each evaluation summed up per metric, the rounds counted, and the
/// watch stopped where the replayed window ends. Called by one watch at a time, in order.
final class AnalysisReplayObserver: AnalysisWatchObserver, @unchecked Sendable {
    private(set) var summaries: [AnalysisReplay.MetricSummary]
    private(set) var rounds = 0
    private let metrics: [MetricConfig]
    private let clock: EngineClock
    private let end: Date

    init(metrics: [MetricConfig], placeholders: Placeholders, clock: EngineClock, end: Date) {
        self.metrics = metrics
        self.clock = clock
        self.end = end
        summaries = metrics.map {
            AnalysisReplay.MetricSummary(
                name: $0.name, query: $0.source.filled(placeholders).display,
                threshold: MetricEvaluator.describeThreshold($0))
        }
    }

    func waitingPastPause(label: String, waitingFor: [String], upTo: Duration, then: String) async throws(ShipctlError)
    {}

    func evaluated(_ evaluations: [MetricEvaluation], label: String, confirming: Bool, leftMs: Int64)
        async throws(ShipctlError)
    {
        rounds += 1
        let at = clock.wallNow()
        for evaluation in evaluations {
            guard let position = metrics.firstIndex(where: { $0.name == evaluation.metric }) else { continue }
            Self.add(evaluation, at: at, metric: metrics[position], to: &summaries[position])
        }
    }

    func shouldStop() async -> Bool { clock.wallNow() >= end }

    private static func add(
        _ evaluation: MetricEvaluation, at: Date, metric: MetricConfig, to summary: inout AnalysisReplay.MetricSummary
    ) {
        switch evaluation.verdict {
        case .pass, .proven: summary.passes += 1
        case .inconclusive:
            summary.inconclusives += 1
            if !evaluation.answered {
                summary.unanswered += 1
                if summary.firstUnanswered == nil { summary.firstUnanswered = evaluation.reason }
            }
        case .waiting: summary.waiting += 1
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
