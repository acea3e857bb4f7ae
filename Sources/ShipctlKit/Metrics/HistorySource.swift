import Foundation

/// The metrics as they were at the replay clock's time: what `analyze` gives the watch a canary
/// runs, so a replay reads what the live canary would have read. Queries that stay the same at
/// every evaluation are read once over the whole window (`prefetched`); the others — the judge's,
/// whose `{{window}}` grows — and moments between the prefetched samples are read one by one, as
/// of their time.
struct HistorySource: MetricSource {
    let base: any MetricSource
    /// Each resolved query's history over the window, by its display form.
    let prefetched: [String: MetricRange]
    let clock: EngineClock

    func read(_ query: MetricQuery) async -> MetricReading {
        let at = clock.wallNow()
        switch prefetched[query.display] {
        case .unavailable(let reason)?:
            return .inconclusive(reason)
        case .samples(let samples)?:
            // A prefetched sample is the instant read at its time; a moment between them is read on its own.
            if let sample = samples.first(where: { abs($0.key.timeIntervalSince(at)) < 0.001 }) {
                return .value(sample.value)
            }
            if samples.isEmpty { return Self.noData(at) }
            return await base.read(query, asOf: at)
        case nil:
            return await base.read(query, asOf: at)
        }
    }

    /// Stable's history before a replayed canary is read from the backend as it would be live.
    func readRange(_ query: MetricQuery, from start: Date, to end: Date, step: Duration) async -> MetricRange {
        await base.readRange(query, from: start, to: end, step: step)
    }

    /// A replay's raw counters as of the replay clock's time, or the moment asked for.
    func readSeries(_ query: MetricQuery, asOf instant: Date?) async -> SeriesReading {
        await base.readSeries(query, asOf: instant ?? clock.wallNow())
    }

    func readSeriesRange(_ query: MetricQuery, from start: Date, to end: Date, step: Duration) async -> SeriesRange {
        await base.readSeriesRange(query, from: start, to: end, step: step)
    }

    /// History cannot say when the backend scraped: a confirmation waits the whole limit, as for a
    /// backend that cannot tell, and reads the value one interval on.
    func awaitNewSample(for query: MetricQuery, after instant: Date, limit: Duration, clock: EngineClock) async -> Bool?
    {
        try? await clock.sleep(limit)
        return nil
    }

    private static func noData(_ at: Date) -> MetricReading {
        .noData(
            "the query returned no data at \(Timestamp.format(at)): the version may have had no traffic then, or a label in the query matches no series"
        )
    }
}
