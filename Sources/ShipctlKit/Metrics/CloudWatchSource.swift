import Foundation

/// CloudWatch through `aws cloudwatch get-metric-statistics`: the latest datapoint
/// of the last two periods, now or (for `analyze`) at each time of a window. CloudWatch sends no datapoint when nothing was
/// counted, so for `Sum` and `SampleCount` an empty answer reads as 0; for the
/// other statistics it is inconclusive.
public struct CloudWatchSource: MetricSource {
    private let runner: any ProcessRunning
    private let region: String?
    private let redactor: Redactor
    private let now: @Sendable () -> Date

    public init(runner: any ProcessRunning, region: String?, redactor: Redactor, now: @escaping @Sendable () -> Date = Date.init) {
        self.runner = runner
        self.region = region
        self.redactor = redactor
        self.now = now
    }

    private struct Answer: Decodable {
        struct Datapoint: Decodable {
            var Timestamp: DatapointTime
            var Sum: Double?
            var Average: Double?
            var Minimum: Double?
            var Maximum: Double?
            var SampleCount: Double?
        }
        var Datapoints: [Datapoint]
    }

    /// aws CLI v2 prints timestamps as ISO 8601 text, v1 as whatever the endpoint
    /// sent (epoch seconds from moto and some endpoints): both are read.
    private struct DatapointTime: Decodable, Comparable {
        var date: Date

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let seconds = try? container.decode(Double.self), seconds.isFinite {
                date = Date(timeIntervalSince1970: seconds)
            } else if let text = try? container.decode(String.self), let parsed = RFC3339.parse(text) ?? Double(text).map(Date.init(timeIntervalSince1970:)) {
                date = parsed
            } else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a timestamp")
            }
        }

        static func < (lhs: DatapointTime, rhs: DatapointTime) -> Bool { lhs.date < rhs.date }
    }

    public func read(_ query: MetricQuery) async -> MetricReading {
        guard case let .cloudwatch(metric) = query else { return .inconclusive("not a CloudWatch query") }
        let end = now()
        let datapoints: [Answer.Datapoint]
        switch await statistics(metric, from: end.addingTimeInterval(-Double(metric.period * 2)), to: end) {
        case let .success(answer): datapoints = answer
        case let .failure(problem): return .inconclusive(problem.message)
        }
        return Self.reading(latestOf: datapoints, metric: metric)
    }

    /// One reading per `step` from `start` to `end`, each what `read` would have answered
    /// then (the latest datapoint of the two periods before it), from one call.
    public func readRange(_ query: MetricQuery, from start: Date, to end: Date, step: Duration) async -> MetricRange {
        guard case let .cloudwatch(metric) = query else { return .unavailable("not a CloudWatch query") }
        let datapoints: [Answer.Datapoint]
        switch await statistics(metric, from: start.addingTimeInterval(-Double(metric.period * 2)), to: end) {
        case let .success(answer): datapoints = answer
        case let .failure(problem): return .unavailable(problem.message)
        }
        let span = (end.timeIntervalSince(start) / step.timeInterval).rounded(.down)
        guard span.isFinite, span >= 0, span <= Double(AnalysisReplay.evaluationLimit) else {
            return .unavailable("a window of \(span) steps is not one shipctl reads")
        }
        var samples: [Date: Double] = [:]
        let count = Int(span)
        for index in 0...count {
            let at = start.addingTimeInterval(Double(index) * step.timeInterval)
            let window = datapoints.filter { $0.Timestamp.date <= at && $0.Timestamp.date > at.addingTimeInterval(-Double(metric.period * 2)) }
            if case let .value(value) = Self.reading(latestOf: window, metric: metric) { samples[at] = value }
        }
        return .samples(samples)
    }


    private func statistics(_ metric: CloudWatchQuery, from start: Date, to end: Date) async -> Result<[Answer.Datapoint], MetricBackendProblem> {
        var arguments = (region.map { ["--region", $0] } ?? []) + [
            "cloudwatch", "get-metric-statistics", "--namespace", metric.namespace, "--metric-name", metric.metric,
            "--statistics", metric.stat, "--period", String(metric.period),
            "--start-time", Timestamp.format(start), "--end-time", Timestamp.format(end), "--output", "json",
        ]
        if !metric.dimensions.isEmpty {
            // JSON rather than the `Name=…,Value=…` shorthand, in which a `,` inside a value would start another field.
            let list = JSONValue.array(metric.dimensions.map { ["Name": .string($0.name), "Value": .string($0.value)] })
            arguments += ["--dimensions", list.canonical]
        }
        let result = await runner.run(ProcessRequest("aws", arguments, timeout: .seconds(15), mutating: false))
        guard result.succeeded else {
            return .failure(MetricBackendProblem(message: "CloudWatch query failed: \(AnswerQuote.quote(redactor.redact(result.stderr)))"))
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(result.stdout.utf8)) else {
            return .failure(MetricBackendProblem(message: "could not read the answer of get-metric-statistics"))
        }
        return .success(answer.Datapoints)
    }

    private static func reading(latestOf datapoints: [Answer.Datapoint], metric: CloudWatchQuery) -> MetricReading {
        guard let latest = datapoints.max(by: { $0.Timestamp < $1.Timestamp }) else {
            return ["Sum", "SampleCount"].contains(metric.stat)
                ? .value(0)
                : .inconclusive("CloudWatch returned no datapoints for \(metric.metric) in the last \(metric.period * 2)s")
        }
        let value: Double? = switch metric.stat {
        case "Sum": latest.Sum
        case "Average": latest.Average
        case "Minimum": latest.Minimum
        case "Maximum": latest.Maximum
        default: latest.SampleCount
        }
        guard let value, value.isFinite else { return .inconclusive("the datapoint has no \(metric.stat)") }
        return .value(value)
    }
}
