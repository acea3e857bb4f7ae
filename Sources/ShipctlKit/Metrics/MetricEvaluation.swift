import Foundation

/// One metric checked once against its threshold.
public struct MetricEvaluation: Sendable {
    public enum Verdict: String, Sendable {
        case pass, fail, inconclusive
        /// A judged metric whose canary has had too few requests to pass yet; never counted as inconclusive.
        case waiting = "waiting for evidence"
        /// A judged metric that shows the step's evidence: the canary fails less than `evidence: Nx` times as often.
        case proven
    }

    public var metric: String
    public var query: String
    public var value: Double?
    public var baseline: Double?
    public var threshold: String
    public var verdict: Verdict
    public var reason: String
    public var dryRun: Bool
    /// The limits behind `threshold`, as numbers for charts: `max`, `min`, `max_ratio_to_baseline`.
    public var limits: [String: Double] = [:]
    /// For a metric judged against stable: the counts and the bound the verdict rests on.
    public var judge: JudgeEvidence?
    /// For a metric judged by `mann-whitney`: the samples' medians and the shift's interval.
    public var shift: MannWhitneyShift?
    /// False when the backend gave no usable answer (unreachable, an error, NaN), as opposed to
    /// answering that no series matched: `analyze` then has judged nothing rather than seen a bad window.
    public var answered = true

    /// "error-rate = 0.5 (max 0.02): fail"
    public var summary: String {
        let shown = value.map(Self.format) ?? "no value"
        let base = baseline.map { ", baseline \(Self.format($0))" } ?? ""
        let mark = dryRun ? " [dry run]" : ""
        if let evidence = judge?.summary ?? shift?.summary {
            return "\(metric): \(evidence): \(verdict.rawValue)\(mark)"
                + (verdict == .pass || verdict == .proven ? "" : " — \(reason)")
        }
        return "\(metric) = \(shown)\(base) (\(threshold)): \(verdict.rawValue)\(mark)"
            + (verdict == .pass || verdict == .proven ? "" : " — \(reason)")
    }

    public var auditArgs: [String: JSONValue] {
        var args: [String: JSONValue] = [
            "metric": .string(metric), "query": .string(query), "threshold": .string(threshold),
            "verdict": .string(verdict.rawValue), "reason": .string(reason), "dry_run": .bool(dryRun),
        ]
        if let value { args["value"] = .number(value) }
        if let baseline { args["baseline"] = .number(baseline) }
        if !limits.isEmpty { args["limits"] = .object(limits.mapValues(JSONValue.number)) }
        if let judge { args["judge"] = judge.json }
        if let shift { args["judge"] = shift.json }
        return args
    }

    /// A confirmation that found no sample newer than the one that failed: inconclusive, not a second failure.
    static func noNewSample(_ metric: MetricConfig, query: String, waited: Duration) -> MetricEvaluation {
        MetricEvaluation(
            metric: metric.name, query: query, value: nil, baseline: nil,
            threshold: MetricEvaluator.describeThreshold(metric),
            verdict: .inconclusive,
            reason:
                "no sample newer than the failing one came within \(DurationParser.format(waited)); it is not counted twice",
            dryRun: metric.dryRun, limits: MetricEvaluator.limits(of: metric))
    }

    /// A value as every output shows it: whole numbers whole, others to four significant digits.
    public static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e12 { return String(Int64(value)) }
        return String(format: "%.4g", value)
    }
}
