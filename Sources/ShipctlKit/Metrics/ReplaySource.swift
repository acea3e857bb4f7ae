import Foundation

/// Answers instant reads from histories fetched beforehand, as of one moment:
/// lets the same evaluator that gates a canary judge a window of the past.
struct ReplaySource: MetricSource {
    /// Each resolved query's history, by its display form.
    let histories: [String: MetricRange]
    let at: Date
    /// How far from `at` a sample may lie and still count as the value at `at`.
    let tolerance: TimeInterval

    func read(_ query: MetricQuery) async -> MetricReading {
        switch histories[query.display] {
        case nil:
            return .inconclusive("no history was read for \(query.display)")
        case let .unavailable(reason)?:
            return .inconclusive(reason)
        case let .samples(samples)?:
            let nearest = samples.min { abs($0.key.timeIntervalSince(at)) < abs($1.key.timeIntervalSince(at)) }
            guard let nearest, abs(nearest.key.timeIntervalSince(at)) <= tolerance else {
                return .noData("the query returned no data at \(Timestamp.format(at)): the version may have had no traffic then, or a label in the query matches no series")
            }
            return .value(nearest.value)
        }
    }
}
