import Foundation

/// Whether the canary's own failure rate is shown beyond a judged metric's absolute limit (`max` or `min`),
/// on its counts and at the judge's confidence, valid however often it is looked at — never a raw comparison
/// of the cumulative rate, which at a few dozen requests fails a good version on its first unlucky failure.
///
/// Each canary request fails with probability r. Against the null r ≤ m (for `max`), each alternative
/// r_k = m · c_k (c_k the judge's multiples, kept below 1) has the likelihood ratio
///
///     Λk = (r_k / m)^x · ((1 − r_k) / (1 − m))^(n − x)      after x failures in n requests,
///
/// a product over requests whose factor has expectation at most 1 under any r ≤ m (linear in r, 1 at m,
/// increasing). The equally weighted mixture is a non-negative supermartingale, so by Ville's inequality it
/// reaches 1/(1 − confidence) with probability at most 1 − confidence: the limit is then shown broken. For
/// `min` the alternatives are m / c_k, and the factor decreases in r.
public enum RateLimitTest {
    /// True when `failures` of `requests` show the rate above `limit` (`above`) or below it, at `confidence`.
    public static func breaks(
        _ limit: Double, above: Bool, failures: Double, requests: Double, confidence: Double
    ) -> Bool {
        guard requests > 0, failures >= 0, failures <= requests, limit.isFinite else { return false }
        // A rate limited to 0 is broken by one failure, a rate that must be 1 by one success: no doubt either way.
        if above && limit <= 0 { return failures > 0 }
        if !above && limit >= 1 { return failures < requests }
        guard limit > 0, limit < 1 else { return false }
        let alternatives = RateRatioTest.alternatives.map { above ? min(limit * $0, 0.999) : limit / $0 }
            .filter { above ? $0 > limit : $0 < limit }
        guard !alternatives.isEmpty else { return false }
        let logs = alternatives.map { rate in
            failures * log(rate / limit) + (requests - failures) * log((1 - rate) / (1 - limit))
        }
        return RateRatioTest.mixture(logs) >= 1 / max(1 - confidence, 1e-12)
    }
}
