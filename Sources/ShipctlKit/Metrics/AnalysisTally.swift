import Foundation

/// Counts failed and inconclusive evaluations per metric across a deployment
/// and says when a limit is passed. Pure, so the rule is easy to test.
public struct AnalysisTally: Sendable {
    public let failureLimit: Int
    public let inconclusiveLimit: Int
    public private(set) var failures: [String: Int] = [:]
    public private(set) var inconclusives: [String: Int] = [:]

    public init(failureLimit: Int, inconclusiveLimit: Int) {
        self.failureLimit = failureLimit
        self.inconclusiveLimit = inconclusiveLimit
    }

    /// Records evaluations of `metric` that were due in a step and never ran (its reads took longer than the
    /// interval) as inconclusive: a step never advances on evidence that was never read. Returns why the
    /// canary must stop, if it must.
    public mutating func recordMissing(_ metric: String, count: Int, due: Int) -> String? {
        guard count > 0 else { return nil }
        inconclusives[metric, default: 0] += count
        let total = inconclusives[metric] ?? 0
        guard total > inconclusiveLimit else { return nil }
        return
            "metric \(metric) was inconclusive \(total) time(s), over inconclusive_limit \(inconclusiveLimit): "
            + "\(count) of the \(due) evaluations due in this step never ran (its reads took longer than the interval)"
    }

    /// Records one evaluation; returns why the canary must stop, if it must.
    public mutating func record(_ evaluation: MetricEvaluation) -> String? {
        guard !evaluation.dryRun else { return nil }
        switch evaluation.verdict {
        case .pass, .waiting, .proven:
            return nil
        case .fail where evaluation.judge != nil:
            // The judge's test is valid at every look, so its first rejection decides: no limit, no confirmation.
            failures[evaluation.metric, default: 0] += 1
            return "metric \(evaluation.metric) failed: \(evaluation.reason) (\(evaluation.judge?.summary ?? ""))"
        case .fail:
            failures[evaluation.metric, default: 0] += 1
            let count = failures[evaluation.metric] ?? 0
            guard count > failureLimit else { return nil }
            let value = evaluation.value.map(MetricEvaluation.format) ?? "?"
            return
                "metric \(evaluation.metric) = \(value) breached its threshold (\(evaluation.threshold)) \(count) time(s), over failure_limit \(failureLimit); query: \(evaluation.query)"
        case .inconclusive:
            inconclusives[evaluation.metric, default: 0] += 1
            let count = inconclusives[evaluation.metric] ?? 0
            guard count > inconclusiveLimit else { return nil }
            return
                "metric \(evaluation.metric) was inconclusive \(count) time(s), over inconclusive_limit \(inconclusiveLimit): \(evaluation.reason); query: \(evaluation.query)"
        }
    }
}
