import Foundation

/// What Prometheus answers for `increase(counter[range])` at `end`, from the samples it scraped: the
/// difference between the first and last sample in the range (counter resets added back), extrapolated
/// towards the range's edges — to an edge when the gap to it is under 1.1 average scrape intervals, else
/// half an interval; towards the start never past where the counter would have been zero. No answer
/// (the series is absent from the result) with fewer than two samples in the range. This is
/// `extrapolatedRate` of Prometheus's `promql/functions.go`, in both of its forms.
public enum PrometheusIncrease {
    public struct Sample: Sendable {
        public var time: Double
        public var value: Double

        public init(time: Double, value: Double) {
            self.time = time
            self.value = value
        }
    }

    public enum Release: Sendable, CaseIterable {
        /// 2.x: the range `[end − range, end]`; the zero point limits the start before the threshold is applied.
        case two
        /// 3.x: the range `(end − range, end]`; the threshold is applied first, then the zero point.
        case three
    }

    public static func increase(_ samples: [Sample], range: Double, end: Double, release: Release) -> Double? {
        let start = end - range
        let inRange = samples.filter { ($0.time > start || (release == .two && $0.time == start)) && $0.time <= end }
        guard let first = inRange.first, let last = inRange.last, inRange.count >= 2 else { return nil }
        var result = last.value - first.value
        for (previous, next) in zip(inRange, inRange.dropFirst()) where next.value < previous.value {
            result += previous.value
        }
        let sampledInterval = last.time - first.time
        let averageBetweenSamples = sampledInterval / Double(inRange.count - 1)
        let threshold = averageBetweenSamples * 1.1
        // A counter does not extrapolate to below zero.
        let toZero = result > 0 && first.value >= 0 ? sampledInterval * (first.value / result) : .infinity
        var toStart = first.time - start
        switch release {
        case .two:
            toStart = min(toStart, toZero)
            if toStart >= threshold { toStart = averageBetweenSamples / 2 }
        case .three:
            if toStart >= threshold { toStart = averageBetweenSamples / 2 }
            toStart = min(toStart, toZero)
        }
        var toEnd = end - last.time
        if toEnd >= threshold { toEnd = averageBetweenSamples / 2 }
        return result * (sampledInterval + toStart + toEnd) / sampledInterval
    }
}
