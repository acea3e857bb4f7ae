import Foundation

/// Whether the canary fails more often than stable by more than is allowed, decided on counts
/// read at every evaluation, and valid however often it is read: a sequential test.
///
/// The model (Lindon & Malek, "Anytime-Valid Inference for Multinomial Count Data", NeurIPS
/// 2022, §4: time-inhomogeneous Poisson counting processes, as in canary testing): between two
/// evaluations the canary serves `a` requests and fails `x` of them, stable serves `b` and fails
/// `y`, with failures Poisson at rates `λc·a` and `λs·b`. Given `n = x + y`, the canary's share
/// of the failures is binomial, whatever the traffic's ups and downs:
///
///     x | n  ~  Binomial(n, p(ρ)),   p(ρ) = ρ·a / (ρ·a + b),   ρ = λc / λs
///
/// The null hypothesis is ρ ≤ ρ0 = 1 + max_increase. For each alternative ρk > ρ0 on a grid,
///
///     Λk(t) = Π over evaluations i ≤ t of (p_i(ρk) / p_i(ρ0))^x_i · ((1 − p_i(ρk)) / (1 − p_i(ρ0)))^y_i
///
/// and the mixture M(t) = Σk πk·Λk(t) with prior weights πk summing to 1. Each factor has
/// expectation at most 1 under any ρ ≤ ρ0 (it is linear in the true p, equal to 1 at p(ρ0),
/// and increasing in p because ρk > ρ0), so M is a non-negative supermartingale starting at 1,
/// and by Ville's inequality P(M(t) ≥ 1/α for some t) ≤ α: the canary is failed when
/// M ≥ 1/(1 − confidence), at any evaluation, with no correction for looking often. Exact
/// binomial likelihoods, so it is right at 0–5 failures, where normal approximations are not.
///
/// Inverting the test at every ρ0 gives a lower confidence bound on ρ that holds at every
/// evaluation at once (a confidence sequence): the boundary between the ρ0 it rejects and those it does not.
public struct RateRatioTest: Sendable {
    /// ρ0: the highest ratio of the canary's failure rate to stable's that passes.
    public let allowedRatio: Double
    public let confidence: Double
    /// One evaluation's new counts (the increase since the one before).
    public struct Increment: Sendable, Equatable {
        public var canaryRequests: Double
        public var canaryFailures: Double
        public var stableRequests: Double
        public var stableFailures: Double

        public init(canaryRequests: Double, canaryFailures: Double, stableRequests: Double, stableFailures: Double) {
            self.canaryRequests = canaryRequests
            self.canaryFailures = canaryFailures
            self.stableRequests = stableRequests
            self.stableFailures = stableFailures
        }
    }

    /// The alternatives, as multiples of ρ0 from 1.25 to 32 (geometric, 16 of them), equally
    /// weighted: mass right at ρ0 buys little power, and a regression beyond 32 × ρ0 piles up
    /// evidence so fast that the last one catches it as soon as the first ones would.
    static let alternatives: [Double] = (0..<16).map { 1.25 * pow(32 / 1.25, Double($0) / 15) }

    private var increments: [Increment] = []
    private var logLikelihoodRatios: [Double]

    public init(allowedRatio: Double, confidence: Double) {
        self.allowedRatio = allowedRatio
        self.confidence = confidence
        logLikelihoodRatios = Array(repeating: 0, count: Self.alternatives.count)
    }

    /// Totals so far.
    public private(set) var total = Increment(
        canaryRequests: 0, canaryFailures: 0, stableRequests: 0, stableFailures: 0)

    /// Adds one evaluation's new counts. Counts read from a backend can be fractional
    /// (Prometheus extrapolates `increase`) or disagree (failures but no requests): they are
    /// rounded, negatives taken as zero, and requests raised to at least the failures.
    public mutating func observe(_ increment: Increment) {
        func count(_ value: Double) -> Double { value.isFinite ? max(0, value.rounded()) : 0 }
        let canaryFailures = count(increment.canaryFailures)
        let stableFailures = count(increment.stableFailures)
        let clean = Increment(
            canaryRequests: max(count(increment.canaryRequests), canaryFailures), canaryFailures: canaryFailures,
            stableRequests: max(count(increment.stableRequests), stableFailures), stableFailures: stableFailures)
        total.canaryRequests += clean.canaryRequests
        total.canaryFailures += clean.canaryFailures
        total.stableRequests += clean.stableRequests
        total.stableFailures += clean.stableFailures
        guard clean.canaryFailures + clean.stableFailures > 0 else { return }
        increments.append(clean)
        for (index, multiple) in Self.alternatives.enumerated() {
            logLikelihoodRatios[index] += Self.logLikelihoodRatio(
                clean, alternative: allowedRatio * multiple, null: allowedRatio)
        }
    }

    /// The mixture likelihood ratio M against ρ0: the evidence that the canary is worse than allowed.
    public var evidence: Double { Self.mixture(logLikelihoodRatios) }

    /// 1/α: the evidence that fails the canary.
    public var threshold: Double { 1 / max(1 - confidence, 1e-12) }

    public var rejects: Bool { evidence >= threshold }

    /// The ratio of the canary's failure rate to stable's is at least this, at `confidence`, at
    /// every evaluation at once; above `allowedRatio` when the test rejects. Zero until failures say more.
    public var lowerBound: Double {
        func rejected(_ null: Double) -> Bool {
            let logs = Self.alternatives.map { multiple in
                increments.reduce(0) { $0 + Self.logLikelihoodRatio($1, alternative: null * multiple, null: null) }
            }
            return Self.mixture(logs) >= threshold
        }
        var low = 1e-3
        var high = 1e4
        guard rejected(low) else { return 0 }
        if rejected(high) { return high }
        for _ in 0..<40 {
            let middle = (low * high).squareRoot()
            if rejected(middle) { low = middle } else { high = middle }
        }
        return low
    }

    public var canaryRate: Double? { total.canaryRequests > 0 ? total.canaryFailures / total.canaryRequests : nil }
    public var stableRate: Double? { total.stableRequests > 0 ? total.stableFailures / total.stableRequests : nil }

    /// log of (p(ρ)/p(ρ0))^x ((1 − p(ρ))/(1 − p(ρ0)))^y for one increment.
    public static func logLikelihoodRatio(_ increment: Increment, alternative: Double, null: Double) -> Double {
        let a = increment.canaryRequests
        let b = increment.stableRequests
        // Without traffic on one side, where a failure comes from says nothing about the ratio.
        guard a > 0, b > 0 else { return 0 }
        let p = alternative * a / (alternative * a + b)
        let p0 = null * a / (null * a + b)
        return increment.canaryFailures * log(p / p0) + increment.stableFailures * log((1 - p) / (1 - p0))
    }

    /// Σk πk·exp(ℓk) with equal weights, computed without overflow.
    static func mixture(_ logs: [Double]) -> Double {
        guard let largest = logs.max(), !logs.isEmpty else { return 1 }
        let sum = logs.reduce(0) { $0 + exp($1 - largest) }
        return min(exp(largest + log(sum / Double(logs.count))), .greatestFiniteMagnitude)
    }
}
