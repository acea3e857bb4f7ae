import Foundation

/// The metric source of one environment as its configuration describes it:
/// each query is read by its own backend kind.
public struct ConfiguredMetricSource: MetricSource {
    let context: EnvironmentContext

    public init(context: EnvironmentContext) {
        self.context = context
    }

    public func read(_ query: MetricQuery) async -> MetricReading {
        await query.backend.read(context)
    }

    public func read(_ query: MetricQuery, asOf instant: Date) async -> MetricReading {
        var past = context
        past.asOf = instant
        return await query.backend.read(past)
    }

    public func awaitNewSample(for query: MetricQuery, after instant: Date, limit: Duration, clock: EngineClock) async
        -> Bool?
    {
        await query.backend.awaitNewSample(after: instant, limit: limit, clock: clock, context: context)
    }

    public func readRange(_ query: MetricQuery, from start: Date, to end: Date, step: Duration) async -> MetricRange {
        await query.backend.readRange(from: start, to: end, step: step, context: context)
    }

    public func readSeries(_ query: MetricQuery, asOf instant: Date?) async -> SeriesReading {
        var context = context
        if let instant { context.asOf = instant }
        return await query.backend.readSeries(context)
    }

    public func readSeriesRange(_ query: MetricQuery, from start: Date, to end: Date, step: Duration) async
        -> SeriesRange
    {
        await query.backend.readSeriesRange(from: start, to: end, step: step, context: context)
    }

    public func explainNoData(_ query: MetricQuery) async -> String? {
        await query.backend.explainNoData(context)
    }
}
