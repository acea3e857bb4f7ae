import Foundation
import ShipctlKit

/// A micro app's traffic, drawn second by second on a manual clock: Poisson arrivals at
/// `requestsPerSecond`, split between the versions as the scripted provider routes them right
/// then, each request failing with its version's probability. Answers the judge's count queries
/// `fails{version="V"}[Ns]` and `reqs{version="V"}[Ns]` with the counts of the last N seconds, as
/// `increase()` over `{{window}}` would, and the raw counters `fails{version="V"}` and `reqs{version="V"}`
/// with every count so far; a version with no requests in the window has no series.
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
    /// Seconds drawn before the clock's start, every request on the stable version: its history.
    private let historySeconds: Int

    public init(
        clock: ManualClock, provider: ScriptedTrafficProvider, requestsPerSecond: Double,
        failureRates: [String: Double], seed: UInt64,
        quietUntil: Int = 0, history: (seconds: Int, failureRate: Double)? = nil
    ) {
        self.clock = clock
        self.provider = provider
        self.requestsPerSecond = requestsPerSecond
        self.failureRates = failureRates
        self.quietUntil = quietUntil
        historySeconds = history?.seconds ?? 0
        random = SeededRandom(seed: seed)
        let stable = provider.split.stable
        for _ in 0..<historySeconds {
            let requests = random.poisson(requestsPerSecond)
            seconds.append(
                Second(
                    requests: [stable: requests],
                    failures: [stable: random.binomial(requests, history?.failureRate ?? 0)]))
        }
    }

    /// Draws the seconds up to the clock's present, each with the split routed now.
    private func catchUp() {
        let now = Int(clock.offset.timeInterval.rounded(.down)) + historySeconds
        let split = provider.split
        while seconds.count < now {
            var second = Second()
            let canaryShare = split.isSettled ? 0 : split.canaryPercent / 100
            let shares = [(split.stable, 1 - canaryShare)] + (split.canary.map { [($0, canaryShare)] } ?? [])
            for (version, share) in shares where share > 0 && seconds.count >= quietUntil + historySeconds {
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
        lock.withLock { counts(query, before: index(of: instant)) }
    }

    /// The counts at each `step` from `start` to `end`, as a range query answers: a moment without a series is absent.
    public func readRange(_ query: MetricQuery, from start: Date, to end: Date, step: Duration) async -> MetricRange {
        lock.withLock {
            catchUp()
            var samples: [Date: Double] = [:]
            var at = start
            while at <= end {
                if case .value(let value) = counts(query, before: index(of: at)) { samples[at] = value }
                at = at.addingTimeInterval(max(step.timeInterval, 1))
            }
            return .samples(samples)
        }
    }

    /// The drawn seconds before `instant`.
    private func index(of instant: Date) -> Int {
        let second = instant.timeIntervalSince(clock.date(at: .zero)).rounded(.down) + Double(historySeconds)
        return Int(max(0, min(second, Double(seconds.count))))
    }

    /// The query's count over its window of the seconds before `end`.
    private func counts(_ query: MetricQuery, before end: Int) -> MetricReading {
        let text = query.display
        let window = Self.between(text, "[", "s]").flatMap(Int.init)
        guard let version = Self.between(text, "version=\"", "\""), window != nil || !text.contains("[") else {
            return .inconclusive(
                "the simulation answers only fails{version=\"V\"}[Ns] and reqs{version=\"V\"}[Ns], or the raw "
                    + "counters fails{version=\"V\"} and reqs{version=\"V\"}, not \(text)")
        }
        // A raw counter holds every count since the simulation's first second.
        let recent = window.map { seconds[..<end].suffix(max($0, 0)) } ?? seconds[..<end]
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
