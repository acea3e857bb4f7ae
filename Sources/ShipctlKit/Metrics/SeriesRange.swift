import Foundation

/// A query's history with its series kept apart: each series' values by time, or why there are none.
public enum SeriesRange: Sendable, Equatable {
    case series([String: [Date: Double]])
    case unavailable(String)

    /// A range of one value at each time, kept as a single series.
    init(_ range: MetricRange) {
        switch range {
        case .samples(let samples): self = .series(samples.isEmpty ? [:] : ["": samples])
        case .unavailable(let reason): self = .unavailable(reason)
        }
    }
}
