import Foundation

/// How much a set of raw counters rose since a baseline, series by series. Each series is differenced on its
/// own and a series that went down was reset (its process restarted) and counts its new value whole, as
/// Prometheus's `increase` counts a reset; nothing is extrapolated, so the sums are the requests the
/// exporters counted between two scrapes. A series absent from the baseline started after it (a version's
/// series appear with its first request) and counts whole.
struct CounterTally: Sendable, Equatable {
    /// Each series' latest value; a series missing from a reading keeps its last.
    private(set) var last: [String: Double]
    /// The rise since the baseline, in all.
    private(set) var increase = 0.0

    init(baseline: [String: Double]) {
        last = baseline.filter { Self.isCount($0.value) }
    }

    /// What `snapshot` adds to the rise so far, without keeping it.
    func rise(to snapshot: [String: Double]) -> Double {
        snapshot.reduce(0) { sum, entry in
            guard Self.isCount(entry.value) else { return sum }
            return sum + Self.rise(from: last[entry.key], to: entry.value)
        }
    }

    /// Keeps `snapshot`: its rise joins the increase.
    mutating func add(_ snapshot: [String: Double]) {
        increase += rise(to: snapshot)
        for (series, value) in snapshot where Self.isCount(value) { last[series] = value }
    }

    /// One series' rise from `previous` (nil: it did not exist) to `value`.
    static func rise(from previous: Double?, to value: Double) -> Double {
        guard let previous else { return value }
        return value >= previous ? value - previous : value
    }

    /// The rise in each stretch between consecutive `times` (oldest first), summed over the series of a range
    /// read. A series counts only between two of its own samples: one first seen inside the range may have
    /// counted for long before it, and what is unknown is left out rather than guessed.
    static func pieces(of range: [String: [Date: Double]], at times: [Date]) -> [Double] {
        // Times to the millisecond: the backend's and ours may differ in the last bits of a float.
        func key(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        let keys = times.map(key)
        guard keys.count > 1 else { return [] }
        var pieces = Array(repeating: 0.0, count: keys.count - 1)
        for values in range.values {
            let byTime = Dictionary(values.map { (key($0.key), $0.value) }, uniquingKeysWith: { $1 })
            for index in 1..<keys.count {
                guard let value = byTime[keys[index]], isCount(value),
                    let previous = byTime[keys[index - 1]], isCount(previous)
                else { continue }
                pieces[index - 1] += rise(from: previous, to: value)
            }
        }
        return pieces
    }

    private static func isCount(_ value: Double) -> Bool { value.isFinite && value >= 0 }
}
