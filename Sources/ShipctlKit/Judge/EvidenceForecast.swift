import Foundation

/// How long a step with `evidence: Nx` will likely take at the traffic stable serves now, and how soon it
/// would catch a regression: canaries simulated through the judge's own test (`RateRatioTest`, stable's
/// history joined as a live canary joins it) at the measured requests a second and failure rate.
public struct EvidenceForecast: Sendable, Equatable {
    /// Seconds until a version as good as stable shows its evidence: median and 90th percentile; nil when
    /// most simulated canaries did not show it before the ceiling.
    public var goodMedian: Double?
    public var goodP90: Double?
    /// Canary requests (median) until a canary failing 4x and 10x as often as stable is reverted; nil when
    /// most were not before the ceiling.
    public var requestsToCatch4x: Double?
    public var requestsToCatch10x: Double?

    /// Simulates `canaries` canaries at `weight` % of `requestsPerSecond`, stable failing at `failureRate`.
    public static func simulate(
        requestsPerSecond: Double, failureRate: Double, weight: Double, evidence: Double, judge: JudgeConfig,
        maxIncrease: Double, interval: Duration, canaries: Int = 200
    ) -> EvidenceForecast {
        var random = SeededRandom(seed: 2026)
        let step = max(interval.timeInterval, 1)
        let ceiling = judge.ceiling.timeInterval
        let share = min(max(weight / 100, 0), 1)
        let historyMinutes = Int(judge.history.timeInterval / 60)
        func run(_ multiple: Double) -> (proven: [Double], caught: [Double]) {
            var proven: [Double] = []
            var caught: [Double] = []
            for _ in 0..<canaries {
                let pieces = (0..<historyMinutes).map { _ in
                    let requests = random.poisson(requestsPerSecond * 60)
                    return StableHistory.Piece(
                        requests: Double(requests), failures: Double(random.binomial(requests, failureRate)))
                }
                var test = RateRatioTest(
                    allowedRatio: 1 + maxIncrease, confidence: judge.confidence,
                    advanceConfidence: judge.advanceConfidence,
                    history: pieces.isEmpty ? nil : StableHistory(pieces: pieces))
                var elapsed = 0.0
                while elapsed < ceiling {
                    elapsed += step
                    let canary = random.poisson(requestsPerSecond * share * step)
                    let stable = random.poisson(requestsPerSecond * (1 - share) * step)
                    test.observe(
                        .init(
                            canaryRequests: Double(canary),
                            canaryFailures: Double(random.binomial(canary, min(failureRate * multiple, 1))),
                            stableRequests: Double(stable), stableFailures: Double(random.binomial(stable, failureRate))
                        ))
                    if test.rejects {
                        caught.append(test.total.canaryRequests)
                        break
                    }
                    if multiple == 1, test.provesBelow(evidence) {
                        proven.append(elapsed)
                        break
                    }
                }
            }
            return (proven.sorted(), caught.sorted())
        }
        func quantile(_ values: [Double], _ q: Double) -> Double? {
            values.count * 2 > canaries ? values[min(values.count - 1, Int(Double(canaries) * q))] : nil
        }
        let good = run(1)
        return EvidenceForecast(
            goodMedian: quantile(good.proven, 0.5), goodP90: quantile(good.proven, 0.9),
            requestsToCatch4x: quantile(run(4).caught, 0.5), requestsToCatch10x: quantile(run(10).caught, 0.5))
    }

    public var json: JSONValue {
        .object([
            "good_median_seconds": goodMedian.map(JSONValue.number) ?? .null,
            "good_p90_seconds": goodP90.map(JSONValue.number) ?? .null,
            "requests_to_catch_4x": requestsToCatch4x.map(JSONValue.number) ?? .null,
            "requests_to_catch_10x": requestsToCatch10x.map(JSONValue.number) ?? .null,
        ])
    }

    /// "a good version shows it in ~2m40s (p90 6m); 4x caught after ~120 canary requests, 10x after ~25"
    public var text: String {
        func time(_ seconds: Double?) -> String {
            seconds.map { DurationParser.format(.seconds(Int64($0.rounded()))) } ?? "not before the ceiling"
        }
        func requests(_ count: Double?) -> String {
            count.map { "~\(MetricEvaluation.format($0)) canary requests" } ?? "not before the ceiling"
        }
        return "a version as good as stable shows it in ~\(time(goodMedian)) (p90 \(time(goodP90))); "
            + "4x caught after \(requests(requestsToCatch4x)), 10x after \(requests(requestsToCatch10x))"
    }
}
