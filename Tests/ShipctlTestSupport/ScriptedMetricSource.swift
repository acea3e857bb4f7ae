import Foundation
import ShipctlKit

/// A metrics backend whose samples are a script on a manual clock: each sample
/// has the time it was scraped and a value; a read returns the newest sample
/// at the clock's time. Records the time of every read.
public final class ScriptedMetricSource: MetricSource, @unchecked Sendable {
    public struct Sample: Sendable {
        public var at: Duration
        public var value: Double

        public init(at: Duration, value: Double) {
            self.at = at
            self.value = value
        }
    }

    private let lock = NSLock()
    private let clock: ManualClock
    private let samples: [Sample]
    private let byQuery: [String: [Sample]]
    private var readTimes: [Duration] = []

    /// `byQuery`: other samples for queries that contain the key (one service of several going bad).
    public init(clock: ManualClock, samples: [Sample], byQuery: [String: [Sample]] = [:]) {
        self.clock = clock
        self.samples = samples.sorted { $0.at < $1.at }
        self.byQuery = byQuery.mapValues { $0.sorted { $0.at < $1.at } }
    }

    public func read(_ query: MetricQuery) async -> MetricReading {
        let now = clock.offset
        lock.withLock { readTimes.append(now) }
        guard let latest = script(for: query).last(where: { $0.at <= now }) else {
            return .inconclusive("no sample yet")
        }
        return .value(latest.value)
    }

    /// The newest sample at `instant`, as `analyze` reads the past.
    public func read(_ query: MetricQuery, asOf instant: Date) async -> MetricReading {
        let script = script(for: query)
        let at = Duration.milliseconds(Int64((instant.timeIntervalSince(clock.date(at: .zero)) * 1000).rounded()))
        guard let latest = script.last(where: { $0.at <= at }) else { return .noData("no sample yet") }
        return .value(latest.value)
    }

    /// The newest sample at each step, as a range query answers.
    public func readRange(_ query: MetricQuery, from start: Date, to end: Date, step: Duration) async -> MetricRange {
        var samples: [Date: Double] = [:]
        var at = start
        while at <= end {
            if case .value(let value) = await read(query, asOf: at) { samples[at] = value }
            at = at.addingTimeInterval(step.timeInterval)
        }
        return .samples(samples)
    }

    /// Moves the clock to the next scripted sample after `instant`, if one comes within `limit`.
    public func awaitNewSample(
        for query: MetricQuery, after instant: Date, limit: Duration, clock engineClock: EngineClock
    ) async -> Bool? {
        let since = Duration.milliseconds(Int64((instant.timeIntervalSince(clock.date(at: .zero)) * 1000).rounded()))
        let now = clock.offset
        if let next = script(for: query).first(where: { $0.at > since }), next.at <= now + limit {
            clock.advance(by: next.at - now)
            return true
        }
        clock.advance(by: limit)
        return false
    }

    /// The samples scripted for `query`: its own when a `byQuery` key names it, else the common ones.
    private func script(for query: MetricQuery) -> [Sample] {
        byQuery.first { query.display.contains($0.key) }?.value ?? samples
    }

    /// When each read happened, from the clock's start.
    public var reads: [Duration] { lock.withLock { readTimes } }
}
