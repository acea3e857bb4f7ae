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
///
/// The mirror proves a step's evidence (`evidence: Nx`): the null is ρ ≥ N, the alternatives are
/// ρk = N / multiple, and the same product with ρk < N has expectation at most 1 under any ρ ≥ N
/// (linear in the true p, 1 at p(N), decreasing in p). So "the canary fails less than N times as
/// often as stable" is shown when that mixture reaches 1/(1 − advance_confidence), wrong for a
/// canary at N or worse with probability at most 1 − advance_confidence however long it is watched;
/// inverted, it is the upper bound of the same kind of confidence sequence.
///
/// An increment in which one version served nothing carries no comparison, but its failures do:
/// it is folded into the next one instead of being dropped. Whether to fold depends only on the
/// request counts, which the failures do not influence, so every factor above keeps its property.
public struct RateRatioTest: Sendable {
    /// ρ0: the highest ratio of the canary's failure rate to stable's that passes.
    public let allowedRatio: Double
    public let confidence: Double
    /// The confidence at which a step's evidence (an upper bound on ρ) is shown.
    public let advanceConfidence: Double
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

        func adding(_ other: Increment) -> Increment {
            Increment(
                canaryRequests: canaryRequests + other.canaryRequests,
                canaryFailures: canaryFailures + other.canaryFailures,
                stableRequests: stableRequests + other.stableRequests,
                stableFailures: stableFailures + other.stableFailures)
        }
    }

    /// The alternatives, as multiples of ρ0 from 1.25 to 32 (geometric, 16 of them), equally
    /// weighted: mass right at ρ0 buys little power, and a regression beyond 32 × ρ0 piles up
    /// evidence so fast that the last one catches it as soon as the first ones would.
    static let alternatives: [Double] = (0..<16).map { 1.25 * pow(32 / 1.25, Double($0) / 15) }

    private var increments: [Increment] = []
    /// What the mirrored test reads: the same increments with stable's history joined while it holds.
    private var advancing: [Increment] = []
    /// Stable's counts before the canary (`judge.history`), if any were read.
    public private(set) var history: StableHistory?
    private var logLikelihoodRatios: [Double]
    /// Counts of evaluations in which one version served nothing, waiting to join the next that compares.
    private var pending: Increment?

    public init(
        allowedRatio: Double, confidence: Double, advanceConfidence: Double = 0.95, history: StableHistory? = nil
    ) {
        self.allowedRatio = allowedRatio
        self.confidence = confidence
        self.advanceConfidence = advanceConfidence
        self.history = history
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
        total = total.adding(clean)
        let folded = pending.map { $0.adding(clean) } ?? clean
        guard folded.canaryRequests > 0, folded.stableRequests > 0 else {
            pending = folded
            return
        }
        pending = nil
        join(folded)
        guard folded.canaryFailures + folded.stableFailures > 0 else { return }
        increments.append(folded)
        for (index, multiple) in Self.alternatives.enumerated() {
            logLikelihoodRatios[index] += Self.logLikelihoodRatio(
                folded, alternative: allowedRatio * multiple, null: allowedRatio)
        }
    }

    /// Adds an increment to what the mirrored test reads, with the history's pieces due now; once the guard
    /// trips, that is the concurrent increments alone from the start.
    private mutating func join(_ folded: Increment) {
        guard var joining = history, joining.dropped == nil else {
            if folded.canaryFailures + folded.stableFailures > 0 { advancing.append(folded) }
            return
        }
        let piece = joining.take(upTo: total.canaryRequests)
        let holds = joining.holds(
            stableRequests: folded.stableRequests, stableFailures: folded.stableFailures, beside: piece)
        history = joining
        guard holds else {
            advancing = increments + (folded.canaryFailures + folded.stableFailures > 0 ? [folded] : [])
            return
        }
        var joined = folded
        joined.stableRequests += piece.requests
        joined.stableFailures += piece.failures
        if joined.canaryFailures + joined.stableFailures > 0 { advancing.append(joined) }
    }

    /// The mixture likelihood ratio M against ρ0: the evidence that the canary is worse than allowed.
    public var evidence: Double { Self.mixture(logLikelihoodRatios) }

    /// 1/α: the evidence that fails the canary.
    public var threshold: Double { 1 / max(1 - confidence, 1e-12) }

    public var rejects: Bool { evidence >= threshold }

    /// The ratio of the canary's failure rate to stable's is at least this, at `confidence`, at
    /// every evaluation at once; above `allowedRatio` when the test rejects. Zero until failures say more.
    public var lowerBound: Double { bound { self.rejected(null: $0) } ?? 0 }

    /// The ratio is below this, at `advanceConfidence`, at every evaluation at once; infinite until
    /// failures say more. A step's `evidence: Nx` holds once it is below N.
    public var upperBound: Double { provesBelow(1e4) ? bound { !self.provesBelow($0) } ?? 1e-3 : .infinity }

    /// The mixture likelihood ratio against "ρ ≥ ratio": the evidence that the canary fails less than
    /// `ratio` times as often as stable.
    public func evidence(below ratio: Double) -> Double {
        Self.mixture(
            Self.alternatives.map { multiple in
                advancing.reduce(0) { $0 + Self.logLikelihoodRatio($1, alternative: ratio / multiple, null: ratio) }
            })
    }

    /// 1/α for a step's evidence.
    public var advanceThreshold: Double { 1 / max(1 - advanceConfidence, 1e-12) }

    /// Whether the counts show, at `advanceConfidence`, that the canary fails less than `ratio` times as often.
    public func provesBelow(_ ratio: Double) -> Bool { evidence(below: ratio) >= advanceThreshold }

    private func rejected(null: Double) -> Bool {
        let logs = Self.alternatives.map { multiple in
            increments.reduce(0) { $0 + Self.logLikelihoodRatio($1, alternative: null * multiple, null: null) }
        }
        return Self.mixture(logs) >= threshold
    }

    /// The boundary, between 1e-3 and 1e4 on a log scale, below which `holds` is true: nil when it holds
    /// nowhere, 1e4 when everywhere. Each side's set is an interval for these mixtures in practice; a
    /// bisection finds its edge to within 1e-5 of the ratio.
    private func bound(_ holds: (Double) -> Bool) -> Double? {
        var low = 1e-3
        var high = 1e4
        guard holds(low) else { return nil }
        if holds(high) { return high }
        for _ in 0..<24 {
            let middle = (low * high).squareRoot()
            if holds(middle) { low = middle } else { high = middle }
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
