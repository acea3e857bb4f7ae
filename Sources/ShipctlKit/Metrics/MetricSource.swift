import Foundation

/// One reading of a metric query. Empty results, NaN and backend errors are
/// inconclusive, never a pass.
public enum MetricReading: Sendable, Equatable {
    case value(Double)
    case inconclusive(String)
}

/// The seam between the analysis and a metrics backend.
public protocol MetricSource: Sendable {
    /// Evaluates an already resolved query now.
    func read(_ query: MetricQuery) async -> MetricReading
    /// Waits until the backend holds samples newer than `instant`, at most `limit`:
    /// true when it does, false when none came, nil when the backend cannot tell
    /// (then the whole limit has passed). A confirming evaluation never counts the same sample twice.
    func awaitNewSample(after instant: Date, limit: Duration, clock: EngineClock) async -> Bool?
    /// The query's values from `start` to `end`, one every `step` (for replaying an analysis
    /// over history); what the instant `read` would have answered at each of those times.
    func readRange(_ query: MetricQuery, from start: Date, to end: Date, step: Duration) async -> MetricRange
}

/// Why a metrics backend gave no usable answer, in words for the user.
struct MetricBackendProblem: Error {
    let message: String
}

/// A query's history: the values a backend holds at each time, or why it has none.
public enum MetricRange: Sendable, Equatable {
    case samples([Date: Double])
    case unavailable(String)
}

extension MetricSource {
    /// A backend that cannot tell when it has new data: wait the whole limit.
    public func awaitNewSample(after instant: Date, limit: Duration, clock: EngineClock) async -> Bool? {
        try? await clock.sleep(limit)
        return nil
    }

    public func readRange(_ query: MetricQuery, from start: Date, to end: Date, step: Duration) async -> MetricRange {
        .unavailable("this metric backend cannot read history yet")
    }
}

/// A query with its placeholders filled in, ready for one backend.
public enum MetricQuery: Sendable {
    case prometheus(String)
    case cloudwatch(CloudWatchQuery)

    public var display: String {
        switch self {
        case let .prometheus(text): return text
        case let .cloudwatch(query):
            let dimensions = query.dimensions.map { "\($0.name)=\($0.value)" }.joined(separator: ",")
            return "\(query.namespace) \(query.metric) \(query.stat)/\(query.period)s {\(dimensions)}"
        }
    }
}

/// Routes each query to the source for its backend.
public struct MetricSources: Sendable {
    public var prometheus: (any MetricSource)?
    public var cloudwatch: (any MetricSource)?

    public init(prometheus: (any MetricSource)?, cloudwatch: (any MetricSource)?) {
        self.prometheus = prometheus
        self.cloudwatch = cloudwatch
    }

    private func source(for query: MetricQuery) -> (any MetricSource)? {
        switch query {
        case .prometheus: prometheus
        case .cloudwatch: cloudwatch
        }
    }

    public func awaitNewSample(for query: MetricQuery, after instant: Date, limit: Duration, clock: EngineClock) async -> Bool? {
        if let source = source(for: query) { return await source.awaitNewSample(after: instant, limit: limit, clock: clock) }
        try? await clock.sleep(limit)
        return nil
    }

    public func readRange(_ query: MetricQuery, from start: Date, to end: Date, step: Duration) async -> MetricRange {
        guard let source = source(for: query) else { return .unavailable("no backend is configured for \(query.display)") }
        return await source.readRange(query, from: start, to: end, step: step)
    }

    public func read(_ query: MetricQuery) async -> MetricReading {
        switch query {
        case .prometheus:
            guard let prometheus else { return .inconclusive("no Prometheus URL is configured for this environment") }
            return await prometheus.read(query)
        case .cloudwatch:
            guard let cloudwatch else { return .inconclusive("CloudWatch is not available") }
            return await cloudwatch.read(query)
        }
    }
}
