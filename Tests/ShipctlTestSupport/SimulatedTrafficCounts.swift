import Foundation
import ShipctlKit

/// A micro app's traffic, drawn second by second on a manual clock: Poisson arrivals at
/// `requestsPerSecond`, split between the versions as the scripted provider routes them right
/// then, each request failing with its version's probability. Answers the judge's count queries
/// `fails{version="V"}[Ns]` and `reqs{version="V"}[Ns]` with the counts of the last N seconds, as
/// `increase()` over `{{window}}` would; a version with no requests in the window has no series.
public final class SimulatedTrafficCounts: MetricSource, @unchecked Sendable {
    private struct Second {
        var requests: [String: Int] = [:]
        var failures: [String: Int] = [:]
    }

    private let lock = NSLock()
    private let clock: ManualClock
    private let provider: ScriptedTrafficProvider
    private let requestsPerSecond: Double
    private var failureRates: [String: Double]
    private var random: SeededRandom
    private var seconds: [Second] = []
    /// No request at all before this second: a service nobody calls for a while.
    private let quietUntil: Int

    public init(
        clock: ManualClock, provider: ScriptedTrafficProvider, requestsPerSecond: Double,
        failureRates: [String: Double], seed: UInt64,
        quietUntil: Int = 0
    ) {
        self.clock = clock
        self.provider = provider
        self.requestsPerSecond = requestsPerSecond
        self.failureRates = failureRates
        self.quietUntil = quietUntil
        random = SeededRandom(seed: seed)
    }

    /// Draws the seconds up to the clock's present, each with the split routed now.
    private func catchUp() {
        let now = Int(clock.offset.timeInterval.rounded(.down))
        let split = provider.split
        while seconds.count < now {
            var second = Second()
            let canaryShare = split.isSettled ? 0 : split.canaryPercent / 100
            let shares = [(split.stable, 1 - canaryShare)] + (split.canary.map { [($0, canaryShare)] } ?? [])
            for (version, share) in shares where share > 0 && seconds.count >= quietUntil {
                let requests = random.poisson(requestsPerSecond * share)
                second.requests[version, default: 0] += requests
                second.failures[version, default: 0] += random.binomial(requests, failureRates[version] ?? 0)
            }
            seconds.append(second)
        }
    }

    public func read(_ query: MetricQuery) async -> MetricReading {
        lock.withLock {
            catchUp()
            return counts(query, before: seconds.count)
        }
    }

    /// The counts as they were at `instant`, from the seconds drawn so far: `analyze` replaying the run.
    public func read(_ query: MetricQuery, asOf instant: Date) async -> MetricReading {
        let second = instant.timeIntervalSince(clock.date(at: .zero)).rounded(.down)
        return lock.withLock { counts(query, before: Int(max(0, min(second, Double(seconds.count))))) }
    }

    /// The query's count over its window of the seconds before `end`.
    private func counts(_ query: MetricQuery, before end: Int) -> MetricReading {
        let text = query.display
        guard let version = Self.between(text, "version=\"", "\""),
            let window = Self.between(text, "[", "s]").flatMap(Int.init)
        else {
            return .inconclusive(
                "the simulation answers only fails{version=\"V\"}[Ns] and reqs{version=\"V\"}[Ns], not \(text)")
        }
        let recent = seconds[..<end].suffix(max(window, 0))
        let requests = recent.reduce(0) { $0 + ($1.requests[version] ?? 0) }
        guard requests > 0 else { return .noData("no series for version \(version)") }
        let counted = text.hasPrefix("fails") ? recent.reduce(0) { $0 + ($1.failures[version] ?? 0) } : requests
        return .value(Double(counted))
    }

    private static func between(_ text: String, _ open: String, _ close: String) -> String? {
        guard let start = text.range(of: open), let end = text[start.upperBound...].range(of: close) else { return nil }
        return String(text[start.upperBound..<end.lowerBound])
    }
}
