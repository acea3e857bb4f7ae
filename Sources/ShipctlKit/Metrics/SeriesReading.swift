import Foundation

/// One reading of a query whose series are kept apart: each series' value by its labels. Raw counters
/// are read this way, so that shipctl can difference each series on its own and see where one reset.
public enum SeriesReading: Sendable, Equatable {
    /// Each series' value by its label set (empty: the query matched no series).
    case series([String: Double])
    case inconclusive(String)

    /// A reading of one value, kept as a single series.
    init(_ reading: MetricReading) {
        switch reading {
        case .value(let value): self = .series(["": value])
        case .noData: self = .series([:])
        case .inconclusive(let reason): self = .inconclusive(reason)
        }
    }
}
