import Foundation

/// A query's history: the values a backend holds at each time, or why it has none.
public enum MetricRange: Sendable, Equatable {
    case samples([Date: Double])
    case unavailable(String)
}
