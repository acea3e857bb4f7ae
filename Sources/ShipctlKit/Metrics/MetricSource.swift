import Foundation

/// The seam between the analysis and the metrics: `ConfiguredMetricSource` in
/// production, scripted sources and history replays in their place.
public protocol MetricSource: Sendable {
    /// Evaluates an already resolved query now.
    func read(_ query: MetricQuery) async -> MetricReading
    /// Evaluates an already resolved query as of a moment of the past (for replaying an analysis
    /// whose queries change at every evaluation, like the judge's `{{window}}`).
    func read(_ query: MetricQuery, asOf instant: Date) async -> MetricReading
    /// Waits until the query's backend holds samples newer than `instant`, at most `limit`:
    /// true when it does, false when none came, nil when the backend cannot tell
    /// (then the whole limit has passed). A confirming evaluation never counts the same sample twice.
    func awaitNewSample(for query: MetricQuery, after instant: Date, limit: Duration, clock: EngineClock) async -> Bool?
    /// The query's values from `start` to `end`, one every `step` (for replaying an analysis
    /// over history); what the instant `read` would have answered at each of those times.
    func readRange(_ query: MetricQuery, from start: Date, to end: Date, step: Duration) async -> MetricRange
    /// When `query` found no series: which part of it matched nothing, in words, when the backend can tell.
    func explainNoData(_ query: MetricQuery) async -> String?
    /// The query's series as of `instant` (now when nil), kept apart: raw counters are differenced one by one.
    func readSeries(_ query: MetricQuery, asOf instant: Date?) async -> SeriesReading
    /// The query's series from `start` to `end`, one sample every `step`, kept apart.
    func readSeriesRange(_ query: MetricQuery, from start: Date, to end: Date, step: Duration) async -> SeriesRange
}

extension MetricSource {
    public func explainNoData(_ query: MetricQuery) async -> String? { nil }

    /// A source that cannot tell when it has new data: wait the whole limit.
    public func awaitNewSample(for query: MetricQuery, after instant: Date, limit: Duration, clock: EngineClock) async
        -> Bool?
    {
        try? await clock.sleep(limit)
        return nil
    }

    public func readRange(_ query: MetricQuery, from start: Date, to end: Date, step: Duration) async -> MetricRange {
        .unavailable("this metric source cannot read history")
    }

    public func read(_ query: MetricQuery, asOf instant: Date) async -> MetricReading {
        .inconclusive("this metric source cannot read the past")
    }

    /// A source that reads single values: each reading is one series.
    public func readSeries(_ query: MetricQuery, asOf instant: Date?) async -> SeriesReading {
        guard let instant else { return SeriesReading(await read(query)) }
        return SeriesReading(await read(query, asOf: instant))
    }

    public func readSeriesRange(_ query: MetricQuery, from start: Date, to end: Date, step: Duration) async
        -> SeriesRange
    {
        SeriesRange(await readRange(query, from: start, to: end, step: step))
    }
}
