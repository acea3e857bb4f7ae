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

    /// Records one evaluation; returns why the canary must stop, if it must.
    public mutating func record(_ evaluation: MetricEvaluation) -> String? {
        guard !evaluation.dryRun else { return nil }
        switch evaluation.verdict {
        case .pass, .waiting:
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
