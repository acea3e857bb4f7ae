import Foundation

/// Stable's own counts from before the canary started (`analysis.judge.history`), joined to the evidence
/// that lets a step advance, so that a step does not wait for stable's few concurrent failures.
///
/// The construction. The history is read as pieces (a minute each), each a Poisson count of stable's
/// failures among its requests then. Pieces are joined newest first, and only as the canary accrues
/// requests: after its n-th request at most `perCanaryRequest`·n history requests have joined. Whether a
/// piece joins depends only on request counts, never on failures, so a piece's failures are fresh when it
/// joins: its evaluation's factor of the mirrored test (canary against stable-now plus the piece) has
/// expectation at most 1 under "ρ ≥ N" as long as stable's rate then equals its rate now — the
/// conditional-binomial argument of `RateRatioTest` with stable's requests b + b_h.
///
/// That assumption is what the guard watches: a two-sided sequential test of stable's rate now against the
/// pieces joined beside it (the same binomial conditioning, θ = rate now / rate then, alternatives θ and
/// 1/θ over the same grid, null θ = 1). The moment it shows a difference at 90 %, the history is dropped
/// for good and the mirrored test is recomputed on the concurrent counts alone, which need no assumption.
/// An upstream outage that raises both versions, or a degradation that began before the deploy, trips the
/// guard or only slows a step; neither can revert a canary, because the test that reverts never uses history.
public struct StableHistory: Sendable, Equatable {
    /// One piece of the history: stable's requests and failures over one stretch of time.
    public struct Piece: Sendable, Equatable {
        public var requests: Double
        public var failures: Double

        public init(requests: Double, failures: Double) {
            self.requests = requests
            self.failures = failures
        }
    }

    /// History requests joined per canary request at most: enough to pin stable's rate down, few enough that
    /// the concurrent comparison keeps its weight and the guard sees a departure before the history decides.
    public static let perCanaryRequest = 10.0
    /// The guard's evidence that stable's rate departed from its history: 1/(1 − 0.9).
    static let guardThreshold = 10.0

    /// Newest first.
    private var pieces: [Piece]
    private var next = 0
    private var guardLogs: [Double]
    public private(set) var joined = Piece(requests: 0, failures: 0)
    /// Why the history was dropped; nil while it is joined.
    public private(set) var dropped: String?

    /// `pieces` oldest first, as a range read gives them; each is rounded, and a piece without requests left out.
    public init(pieces: [Piece]) {
        func count(_ value: Double) -> Double { value.isFinite ? max(0, value.rounded()) : 0 }
        self.pieces = pieces.reversed().map { Piece(requests: count($0.requests), failures: count($0.failures)) }
            .filter { $0.requests > 0 }.map { Piece(requests: $0.requests, failures: min($0.failures, $0.requests)) }
        guardLogs = Array(repeating: 0, count: 2 * RateRatioTest.alternatives.count)
    }

    /// The history's requests and failures in all.
    public var available: Piece {
        pieces.reduce(Piece(requests: 0, failures: 0)) {
            Piece(requests: $0.requests + $1.requests, failures: $0.failures + $1.failures)
        }
    }

    /// The pieces that join now that the canary has served `canaryRequests` in all, summed (nothing once dropped).
    mutating func take(upTo canaryRequests: Double) -> Piece {
        var taken = Piece(requests: 0, failures: 0)
        guard dropped == nil else { return taken }
        while next < pieces.count, joined.requests + pieces[next].requests <= Self.perCanaryRequest * canaryRequests {
            joined.requests += pieces[next].requests
            joined.failures += pieces[next].failures
            taken.requests += pieces[next].requests
            taken.failures += pieces[next].failures
            next += 1
        }
        return taken
    }

    /// Feeds the guard stable's concurrent counts and the history joined beside them; false once it trips.
    /// Stable's counts since the last piece joined: they are compared with the next one (folded, as the
    /// test folds an evaluation in which one side served nothing).
    private var waiting = Piece(requests: 0, failures: 0)

    mutating func holds(stableRequests: Double, stableFailures: Double, beside piece: Piece) -> Bool {
        guard dropped == nil else { return false }
        waiting.requests += stableRequests
        waiting.failures += stableFailures
        guard piece.requests > 0, waiting.requests > 0 else { return true }
        let compared = RateRatioTest.Increment(
            canaryRequests: waiting.requests, canaryFailures: waiting.failures, stableRequests: piece.requests,
            stableFailures: piece.failures)
        waiting = Piece(requests: 0, failures: 0)
        let alternatives = RateRatioTest.alternatives + RateRatioTest.alternatives.map { 1 / $0 }
        for (index, theta) in alternatives.enumerated() {
            guardLogs[index] += RateRatioTest.logLikelihoodRatio(compared, alternative: theta, null: 1)
        }
        guard RateRatioTest.mixture(guardLogs) >= Self.guardThreshold else { return true }
        dropped =
            "stable's failure rate now departs from its history (\(MetricEvaluation.format(joined.failures))/"
            + "\(MetricEvaluation.format(joined.requests)) before the canary): the history is left out"
        return false
    }
}
