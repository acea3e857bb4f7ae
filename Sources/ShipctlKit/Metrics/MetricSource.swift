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
}

extension MetricSource {
    /// A backend that cannot tell when it has new data: wait the whole limit.
    public func awaitNewSample(after instant: Date, limit: Duration, clock: EngineClock) async -> Bool? {
        try? await clock.sleep(limit)
        return nil
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

    public func awaitNewSample(for query: MetricQuery, after instant: Date, limit: Duration, clock: EngineClock) async -> Bool? {
        let source: (any MetricSource)? = switch query {
        case .prometheus: prometheus
        case .cloudwatch: cloudwatch
        }
        if let source { return await source.awaitNewSample(after: instant, limit: limit, clock: clock) }
        try? await clock.sleep(limit)
        return nil
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
