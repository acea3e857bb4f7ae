import Foundation

/// `analysis.judge`: how metrics that compare the canary with stable decide, and how long a
/// step waits for the evidence they need.
public struct JudgeConfig: Sendable, Equatable {
    /// How many canary requests a step needs before it may advance.
    public enum MinRequests: Sendable, Equatable {
        case count(Int)
        /// Derived from `max_increase`, the confidence, `power` and stable's observed failure rate.
        case auto
    }

    /// What a canary does when the evidence did not come in time (`on_insufficient`, `on_ceiling`).
    public enum OnInsufficient: String, Sendable, Equatable, CaseIterable {
        /// Traffic back to stable, as for a failed gate.
        case revert
        /// The split kept; the deployment left for `resume` (or `abort`).
        case hold
        /// The next step, on whatever evidence there is.
        case `continue`
    }

    public var confidence: Double = 0.98
    /// The confidence at which a step's `evidence: Nx` is shown (an upper bound on the rate ratio).
    public var advanceConfidence: Double = 0.95
    /// How far back stable's own counts are read when the canary starts, to join a step's evidence; zero: none.
    public var history: Duration = .seconds(3600)
    /// The longest a canary may wait for its steps' evidence, from its first step on; then `onCeiling`.
    public var ceiling: Duration = .seconds(1800)
    /// What a canary that reached its ceiling does: hold by default (resumable), revert, or continue.
    public var onCeiling: OnInsufficient = .hold
    public var minRequests: MinRequests = .count(50)
    /// The chance `min_requests: auto` aims for of catching a canary at twice the allowed increase.
    public var power: Double = 0.8
    public var maxExtension: Duration = .seconds(300)
    public var onInsufficient: OnInsufficient = .revert

    public init(
        confidence: Double = 0.98, minRequests: MinRequests = .count(50), power: Double = 0.8,
        maxExtension: Duration = .seconds(300),
        onInsufficient: OnInsufficient = .revert
    ) {
        self.confidence = confidence
        self.minRequests = minRequests
        self.power = power
        self.maxExtension = maxExtension
        self.onInsufficient = onInsufficient
    }

    public static let defaults = JudgeConfig()

    /// Canary requests a step needs: the configured number, or for `auto` the sample that gives
    /// `power` of catching a canary failing at twice the allowed rate (2·ρ0 times stable's) at
    /// `confidence`. One-sided test of one proportion against stable's rate taken as known:
    ///
    ///     n = ((z_c·√(r0(1 − r0)) + z_p·√(r1(1 − r1))) / (r1 − r0))²,  r0 = ρ0·r_s,  r1 = 2·ρ0·r_s
    ///
    /// (e.g. Chow, Shao & Wang, "Sample Size Calculations in Clinical Research", §4.1), doubled for
    /// what the sequential test and stable's own uncertainty cost — the factor the simulation in
    /// `RateRatioTestTests` shows at a micro app's counts. Without stable failures yet, r_s = 0.5 %.
    public func requiredRequests(allowedRatio: Double, stableRate: Double?) -> Int {
        guard case .auto = minRequests else {
            if case .count(let count) = minRequests { return count }
            return 0
        }
        let stable = min(max(stableRate ?? 0, 0.005), 0.45 / max(allowedRatio, 1))
        let r0 = allowedRatio * stable
        let r1 = min(2 * allowedRatio * stable, 0.99)
        let numerator =
            Self.normalQuantile(confidence) * (r0 * (1 - r0)).squareRoot() + Self.normalQuantile(power)
            * (r1 * (1 - r1)).squareRoot()
        let fixed = pow(numerator / max(r1 - r0, 1e-6), 2)
        return Checked.int((2 * fixed).rounded(.up)).map { min(max($0, 10), 1_000_000) } ?? 1_000_000
    }

    /// The standard normal quantile (Acklam's rational approximation, relative error below 1.2e-9).
    static func normalQuantile(_ p: Double) -> Double {
        let a = [
            -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
            -3.066479806614716e+01, 2.506628277459239e+00,
        ]
        let b = [
            -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
            -1.328068155288572e+01,
        ]
        let c = [
            -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
            4.374664141464968e+00, 2.938163982698783e+00,
        ]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let p = min(max(p, 1e-12), 1 - 1e-12)
        if p < 0.02425 {
            let q = (-2 * log(p)).squareRoot()
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        if p > 1 - 0.02425 { return -normalQuantile(1 - p) }
        let q = p - 0.5
        let r = q * q
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
            / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    }
}
