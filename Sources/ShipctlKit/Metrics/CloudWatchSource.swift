import Foundation

/// CloudWatch through `aws cloudwatch get-metric-statistics`: the latest datapoint
/// of the last two periods. CloudWatch sends no datapoint when nothing was
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
        let start = end.addingTimeInterval(-Double(metric.period * 2))
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
            return .inconclusive("CloudWatch query failed: \(AnswerQuote.quote(redactor.redact(result.stderr)))")
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(result.stdout.utf8)) else {
            return .inconclusive("could not read the answer of get-metric-statistics")
        }
        guard let latest = answer.Datapoints.max(by: { $0.Timestamp < $1.Timestamp }) else {
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
