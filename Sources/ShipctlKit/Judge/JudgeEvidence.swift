import Foundation

/// What a judged metric's verdict rests on, shown wherever the verdict is, so that someone
/// reading it at 3 a.m. can redo the arithmetic.
public struct JudgeEvidence: Sendable, Equatable {
    public var canaryRequests: Double
    public var canaryFailures: Double
    public var stableRequests: Double
    public var stableFailures: Double
    /// The ratio of the canary's failure rate to stable's is at least this, at `confidence`.
    public var lowerBound: Double
    /// 1 + max_increase.
    public var allowedRatio: Double
    public var confidence: Double
    /// The mixture likelihood ratio, and the value that fails the canary (1 / (1 − confidence)).
    public var evidence: Double
    public var threshold: Double
    /// Canary requests a step needs before it may advance.
    public var minRequests: Int
    /// For a step with `evidence: Nx`: N, and the upper bound on the ratio at `advanceConfidence` (nil while
    /// failures say nothing yet).
    public var evidenceRatio: Double?
    public var upperBound: Double?
    public var advanceConfidence: Double?
    /// Stable's history joined to the evidence so far (requests, failures), or why it was left out.
    public var historyRequests: Double?
    public var historyFailures: Double?
    public var historyDropped: String?

    public init(
        canaryRequests: Double, canaryFailures: Double, stableRequests: Double, stableFailures: Double,
        lowerBound: Double,
        allowedRatio: Double, confidence: Double, evidence: Double, threshold: Double, minRequests: Int
    ) {
        self.canaryRequests = canaryRequests
        self.canaryFailures = canaryFailures
        self.stableRequests = stableRequests
        self.stableFailures = stableFailures
        self.lowerBound = lowerBound
        self.allowedRatio = allowedRatio
        self.confidence = confidence
        self.evidence = evidence
        self.threshold = threshold
        self.minRequests = minRequests
    }

    /// The same, with what of stable's history joined it.
    public func joining(_ history: StableHistory?) -> JudgeEvidence {
        var evidence = self
        evidence.historyRequests = history?.joined.requests
        evidence.historyFailures = history?.joined.failures
        evidence.historyDropped = history?.dropped
        return evidence
    }

    /// The same, for a step that waits for `evidence: Nx`.
    public func proving(_ ratio: Double, upperBound: Double, at advanceConfidence: Double) -> JudgeEvidence {
        var evidence = self
        evidence.evidenceRatio = ratio
        evidence.upperBound = upperBound.isFinite ? upperBound : nil
        evidence.advanceConfidence = advanceConfidence
        return evidence
    }

    /// Read back from an audit record (`args.judge`); nil when a number is missing.
    public init?(json: JSONValue) {
        func number(_ key: String) -> Double? { json[key]?.doubleValue }
        guard let canaryRequests = number("canary_requests"), let canaryFailures = number("canary_failures"),
            let stableRequests = number("stable_requests"), let stableFailures = number("stable_failures"),
            let lowerBound = number("ratio_lower_bound"), let allowedRatio = number("allowed_ratio"),
            let confidence = number("confidence"),
            let evidence = number("evidence"), let threshold = number("evidence_needed"),
            let minRequests = number("min_requests").flatMap({ Checked.int($0) })
        else { return nil }
        self.init(
            canaryRequests: canaryRequests, canaryFailures: canaryFailures, stableRequests: stableRequests,
            stableFailures: stableFailures,
            lowerBound: lowerBound, allowedRatio: allowedRatio, confidence: confidence, evidence: evidence,
            threshold: threshold,
            minRequests: minRequests)
        if let ratio = number("evidence_ratio"), let advance = number("advance_confidence") {
            self = proving(ratio, upperBound: number("ratio_upper_bound") ?? .infinity, at: advance)
        }
        historyRequests = number("history_requests")
        historyFailures = number("history_failures")
        historyDropped = json["history_dropped"]?.stringValue
    }

    public var canaryRate: Double? { canaryRequests > 0 ? canaryFailures / canaryRequests : nil }
    public var stableRate: Double? { stableRequests > 0 ? stableFailures / stableRequests : nil }

    /// "canary 7/12 failed (58.3%), stable 0/48 (0%); rate ratio ≥ 3.1 at 98% (allowed 1.5)"
    public var summary: String {
        func share(_ failures: Double, _ requests: Double, _ rate: Double?) -> String {
            "\(MetricEvaluation.format(failures))/\(MetricEvaluation.format(requests))"
                + (rate.map { " (\(Self.percent($0)))" } ?? "")
        }
        return
            "canary \(share(canaryFailures, canaryRequests, canaryRate)) failed, stable \(share(stableFailures, stableRequests, stableRate)); "
            + "rate ratio ≥ \(MetricEvaluation.format(lowerBound)) at \(Self.percent(confidence)) (allowed \(MetricEvaluation.format(allowedRatio)))"
            + (evidenceRatio.map { ratio in
                "; < \(upperBound.map(MetricEvaluation.format) ?? "∞") at \(Self.percent(advanceConfidence ?? 0)) "
                    + "(evidence needs < \(MetricEvaluation.format(ratio)))"
            } ?? "") + historyNote
    }

    /// What of stable's history the upper bound rests on, if any was read.
    private var historyNote: String {
        if let historyDropped { return "; stable's history left out: \(historyDropped)" }
        guard let historyRequests else { return "" }
        return "; with stable's history \(MetricEvaluation.format(historyFailures ?? 0))/"
            + "\(MetricEvaluation.format(historyRequests)) joined"
    }

    public var json: JSONValue {
        var fields: [String: JSONValue] = [
            "canary_requests": .number(canaryRequests), "canary_failures": .number(canaryFailures),
            "stable_requests": .number(stableRequests), "stable_failures": .number(stableFailures),
            "ratio_lower_bound": .number(lowerBound), "allowed_ratio": .number(allowedRatio),
            "confidence": .number(confidence),
            "evidence": .number(evidence), "evidence_needed": .number(threshold),
            "min_requests": .int(Int64(minRequests)),
        ]
        if let evidenceRatio, let advanceConfidence {
            fields["evidence_ratio"] = .number(evidenceRatio)
            fields["advance_confidence"] = .number(advanceConfidence)
            fields["ratio_upper_bound"] = upperBound.map(JSONValue.number) ?? .null
        }
        if let historyRequests, let historyFailures {
            fields["history_requests"] = .number(historyRequests)
            fields["history_failures"] = .number(historyFailures)
        }
        if let historyDropped { fields["history_dropped"] = .string(historyDropped) }
        if let canaryRate { fields["canary_rate"] = .number(canaryRate) }
        if let stableRate { fields["stable_rate"] = .number(stableRate) }
        return .object(fields)
    }

    /// A share as a percentage; whatever a record read back holds, never a trap.
    static func percent(_ fraction: Double) -> String {
        let value = fraction * 100
        return (Checked.int(value).map(String.init) ?? (value.isFinite ? String(format: "%.3g", value) : String(value)))
            + "%"
    }
}
