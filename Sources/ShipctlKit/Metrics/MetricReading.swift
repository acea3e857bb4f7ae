import Foundation

/// One reading of a metric query. Empty results, NaN and backend errors are
/// inconclusive, never a pass.
public enum MetricReading: Sendable, Equatable {
    case value(Double)
    case inconclusive(String)
    /// The query matched no series: inconclusive for a threshold, but zero for a count
    /// (a version that served no request has no series yet).
    case noData(String)
}
