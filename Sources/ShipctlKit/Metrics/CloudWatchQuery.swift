import Foundation

/// A CloudWatch metric statistic, read with `aws cloudwatch get-metric-statistics`:
/// the latest datapoint of the last two periods, now or (for `analyze`) at each
/// time of a window. CloudWatch sends no datapoint when nothing was counted, so
/// for `Sum` and `SampleCount` an empty answer reads as 0; for the other
/// statistics it is inconclusive.
public struct CloudWatchQuery: BackendQuery {
    public static let kind = "cloudwatch"
    public static let example = "cloudwatch: { namespace, metric, stat, period, dimensions }"
    static let knownStatistics = ["Sum", "Average", "Minimum", "Maximum", "SampleCount"]

    public var namespace: String
    public var metric: String
    public var stat: String
    public var period: Int
    public var dimensions: [(name: String, value: String)]
    /// For a metric judged by counts: the seconds since the canary's first evaluation (`{{window}}`);
    /// the reading is then the statistic summed over that span rather than the latest datapoint.
    public var window: Int?

    public init(
        namespace: String, metric: String, stat: String, period: Int, dimensions: [(name: String, value: String)]
    ) {
        self.namespace = namespace
        self.metric = metric
        self.stat = stat
        self.period = period
        self.dimensions = dimensions
    }

    /// CloudWatch answers a version that served nothing lately with no datapoints, not with zero.
    public static func fix(unreadable reason: String) -> String {
        reason.contains("no datapoints")
            ? "send the version some traffic and run doctor again: CloudWatch has datapoints only for a version "
                + "that served requests in the period (Lambda's metrics arrive a minute or more after them)"
            : "check the AWS credentials and region here, and that the metric, namespace and dimensions exist"
    }

    public static func parse(_ entry: ConfigEntry) -> CloudWatchQuery? {
        guard
            let settings = entry.settings(
                allowed: ["namespace", "metric", "stat", "period", "dimensions"],
                required: ["namespace", "metric"])
        else { return nil }
        let namespace = entry.name("namespace", in: settings, allowSlash: true)
        let metric = entry.name("metric", in: settings)
        let stat = entry.has("stat", in: settings) ? entry.string("stat", in: settings) : "Sum"
        if let stat, !knownStatistics.contains(stat) {
            entry.report(
                field: "stat", in: settings,
                "expected one of: \(knownStatistics.joined(separator: ", ")), got `\(stat)`")
        }
        let period = entry.has("period", in: settings) ? entry.int("period", in: settings, range: 1...86_400) : 60
        let dimensions = entry.pairs("dimensions", in: settings)
        guard let namespace, let metric, let stat, knownStatistics.contains(stat), let period else { return nil }
        return CloudWatchQuery(namespace: namespace, metric: metric, stat: stat, period: period, dimensions: dimensions)
    }

    public var display: String {
        let shown = dimensions.map { "\($0.name)=\($0.value)" }.joined(separator: ",")
        return "\(namespace) \(metric) \(stat)/\(period)s {\(shown)}" + (window.map { " over \($0)s" } ?? "")
    }

    /// Placeholders fill dimension values only: names, the namespace and the metric are fixed.
    public func filled(_ placeholders: Placeholders) -> CloudWatchQuery {
        var query = self
        query.dimensions = dimensions.map { ($0.name, placeholders.fill($0.value)) }
        if let window = placeholders.values["window"], window.hasSuffix("s"), let seconds = Int(window.dropLast()),
            seconds > 0
        {
            query.window = seconds
        }
        return query
    }

    // Named as the wire format names them.
    // swift-format-ignore: AlwaysUseLowerCamelCase
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
            } else if let text = try? container.decode(String.self),
                let parsed = RFC3339.parse(text) ?? Double(text).map(Date.init(timeIntervalSince1970:))
            {
                date = parsed
            } else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a timestamp")
            }
        }

        static func < (lhs: DatapointTime, rhs: DatapointTime) -> Bool { lhs.date < rhs.date }
    }

    public func read(_ context: EnvironmentContext) async -> MetricReading {
        let end = context.asOf ?? context.now()
        if let window, ["Sum", "SampleCount"].contains(stat) {
            // Whole minutes around the window: CloudWatch counts in periods, so the sum covers at most one period more.
            switch await statistics(from: end.addingTimeInterval(-Double(window)), to: end, context: context) {
            case .success(let datapoints):
                return .value(datapoints.reduce(0) { $0 + ((stat == "Sum" ? $1.Sum : $1.SampleCount) ?? 0) })
            case .failure(let problem):
                return .inconclusive(problem.message)
            }
        }
        let datapoints: [Answer.Datapoint]
        switch await statistics(from: end.addingTimeInterval(-Double(period * 2)), to: end, context: context) {
        case .success(let answer): datapoints = answer
        case .failure(let problem): return .inconclusive(problem.message)
        }
        return reading(latestOf: datapoints)
    }

    /// One reading per `step` from `start` to `end`, each what `read` would have answered
    /// then (the latest datapoint of the two periods before it), from one call.
    public func readRange(from start: Date, to end: Date, step: Duration, context: EnvironmentContext) async
        -> MetricRange
    {
        let datapoints: [Answer.Datapoint]
        switch await statistics(from: start.addingTimeInterval(-Double(period * 2)), to: end, context: context) {
        case .success(let answer): datapoints = answer
        case .failure(let problem): return .unavailable(problem.message)
        }
        let span = (end.timeIntervalSince(start) / step.timeInterval).rounded(.down)
        guard span.isFinite, span >= 0, span <= Double(AnalysisReplay.evaluationLimit) else {
            return .unavailable("a window of \(span) steps is not one shipctl reads")
        }
        var samples: [Date: Double] = [:]
        let count = Int(span)
        for index in 0...count {
            let at = start.addingTimeInterval(Double(index) * step.timeInterval)
            let window = datapoints.filter {
                $0.Timestamp.date <= at && $0.Timestamp.date > at.addingTimeInterval(-Double(period * 2))
            }
            if case .value(let value) = reading(latestOf: window) { samples[at] = value }
        }
        return .samples(samples)
    }

    private func statistics(from start: Date, to end: Date, context: EnvironmentContext) async -> Result<
        [Answer.Datapoint], MetricBackendProblem
    > {
        var arguments =
            (context.region.map { ["--region", $0] } ?? []) + [
                "cloudwatch", "get-metric-statistics", "--namespace", namespace, "--metric-name", metric,
                "--statistics", stat, "--period", String(period),
                "--start-time", Timestamp.format(start), "--end-time", Timestamp.format(end), "--output", "json",
            ]
        if !dimensions.isEmpty {
            // JSON rather than the `Name=…,Value=…` shorthand, in which a `,` inside a value would start another field.
            let list = JSONValue.array(dimensions.map { ["Name": .string($0.name), "Value": .string($0.value)] })
            arguments += ["--dimensions", list.canonical]
        }
        let result = await context.runner.run(ProcessRequest("aws", arguments, timeout: .seconds(15), mutating: false))
        guard result.succeeded else {
            return .failure(
                MetricBackendProblem(
                    message: "CloudWatch query failed: \(context.redactor.quote(result.stderr))"))
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(result.stdout.utf8)) else {
            return .failure(MetricBackendProblem(message: "could not read the answer of get-metric-statistics"))
        }
        return .success(answer.Datapoints)
    }

    private func reading(latestOf datapoints: [Answer.Datapoint]) -> MetricReading {
        guard let latest = datapoints.max(by: { $0.Timestamp < $1.Timestamp }) else {
            return ["Sum", "SampleCount"].contains(stat)
                ? .value(0)
                : .inconclusive("CloudWatch returned no datapoints for \(metric) in the last \(period * 2)s")
        }
        let value: Double? =
            switch stat {
            case "Sum": latest.Sum
            case "Average": latest.Average
            case "Minimum": latest.Minimum
            case "Maximum": latest.Maximum
            default: latest.SampleCount
            }
        guard let value, value.isFinite else { return .inconclusive("the datapoint has no \(stat)") }
        return .value(value)
    }
}
