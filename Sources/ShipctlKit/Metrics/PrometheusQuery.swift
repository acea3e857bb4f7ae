import Foundation

/// A PromQL expression, read over Prometheus's HTTP API (`/api/v1/query`) at the
/// address the environment gives. Values arrive as strings so that NaN and ±Inf
/// survive; both are inconclusive.
public struct PrometheusQuery: BackendQuery {
    public static let kind = "prometheus"
    public static let example = "prometheus: QUERY"
    public static var endpoint: MetricEndpoint? { address }
    private static let address = MetricEndpoint(key: "prometheus", name: "Prometheus", example: "http://HOST:9090")
    static let timeout: Duration = .seconds(5)

    public var text: String

    public init(text: String) {
        self.text = text
    }

    public static func parse(_ entry: ConfigEntry) -> PrometheusQuery? {
        guard let text = entry.string(nil) else { return nil }
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else {
            entry.report(field: kind, "the query is empty; write the PromQL expression to evaluate")
            return nil
        }
        return PrometheusQuery(text: text)
    }

    public var display: String { text }

    public func filled(_ placeholders: Placeholders) -> PrometheusQuery {
        PrometheusQuery(text: placeholders.fill(text))
    }

    /// The shapes of an instant query's answer.
    private enum Answer {
        struct Data: Decodable {
            var resultType: String
            var result: Result
        }
        enum Result: Decodable {
            case vector([Sample])
            case scalar([Value])
            init(from decoder: Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let samples = try? container.decode([Sample].self) {
                    self = .vector(samples)
                } else {
                    self = .scalar(try container.decode([Value].self))
                }
            }
        }
        struct Sample: Decodable {
            var metric: [String: String]
            var value: [Value]?
        }
        enum Value: Decodable {
            case time(Double)
            case text(String)
            init(from decoder: Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let number = try? container.decode(Double.self) {
                    self = .time(number)
                } else {
                    self = .text(try container.decode(String.self))
                }
            }
        }
    }

    /// An instant query's answer: now, or as of `context.asOf` (the value an instant query would have had then).
    private func instant(_ context: EnvironmentContext) async -> Result<Answer.Data, MetricBackendProblem> {
        var items = [URLQueryItem(name: "query", value: text)]
        if let asOf = context.asOf {
            items.append(URLQueryItem(name: "time", value: String(format: "%.3f", asOf.timeIntervalSince1970)))
        }
        return await ask("/api/v1/query", items, timeout: Self.timeout, as: Answer.Data.self, context: context)
    }

    /// Each series of the answer by its labels; a series whose value is not a finite number is left out.
    public func readSeries(_ context: EnvironmentContext) async -> SeriesReading {
        switch await instant(context) {
        case .failure(let problem):
            return .inconclusive(problem.message)
        case .success(let data):
            switch data.result {
            case .scalar(let pair):
                guard pair.count == 2, case .text(let text) = pair[1], let value = Double(text), value.isFinite else {
                    return .inconclusive("unexpected scalar shape")
                }
                return .series(["": value])
            case .vector(let samples):
                var series: [String: Double] = [:]
                for sample in samples {
                    guard let pair = sample.value, pair.count == 2, case .text(let text) = pair[1],
                        let value = Double(text), value.isFinite
                    else { continue }
                    series[Self.key(sample.metric)] = value
                }
                return .series(series)
            }
        }
    }

    /// A series' name: its labels, sorted.
    private static func key(_ labels: [String: String]?) -> String {
        (labels ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.debugDescription)" }.joined(
            separator: ",")
    }

    /// A query judged as counts without `{{window}}` names the counters themselves.
    public var readsRawCounters: Bool { !text.contains("{{window}}") }

    /// Cloud Monitoring's own metrics (`run_googleapis_com:request_count`) are deltas over periods, not counters:
    /// counted over `{{window}}` they are read as they must be.
    private var namesCloudMonitoringMetrics: Bool { text.contains("googleapis_com:") }

    public var countsAdvice: String? {
        guard text.contains("{{window}}"), !namesCloudMonitoringMetrics else { return nil }
        return "counts read through `increase(…[{{window}}])` are extrapolated by Prometheus (a read can be a "
            + "fraction of a request off, and a series' first count is never seen), which moves the judge's "
            + "error rates off what its confidence promises; name the counters themselves "
            + "(`failures: llm_requests_total{version=\"{{version}}\",status=\"error\"}`) and shipctl reads them "
            + "raw at the canary's start and at each evaluation and differences them exactly"
    }

    public var countsProblem: String? {
        if readsRawCounters, namesCloudMonitoringMetrics {
            return "Cloud Monitoring's metrics (`…googleapis_com:…`) are deltas over periods, not counters: count "
                + "them over the canary's time, like `sum(increase(run_googleapis_com:request_count{…}[{{window}}]))`"
        }
        let rates = ["rate(", "irate(", "increase(", "delta(", "_over_time("]
        guard readsRawCounters, let used = rates.first(where: { text.contains($0) }) else { return nil }
        return "`\(used)…)` over a fixed range is not a counter, and a query without `{{window}}` is read as raw "
            + "counters and differenced: name the counters themselves (`llm_requests_total{…}`), or count over "
            + "`[{{window}}]`"
    }

    public func read(_ context: EnvironmentContext) async -> MetricReading {
        let data: Answer.Data
        switch await instant(context) {
        case .success(let answer): data = answer
        case .failure(let problem): return .inconclusive(problem.message)
        }
        let valueText: String
        switch data.result {
        case .scalar(let pair):
            guard pair.count == 2, case .text(let text) = pair[1] else {
                return .inconclusive("unexpected scalar shape")
            }
            valueText = text
        case .vector(let samples):
            if samples.isEmpty {
                return .noData(
                    "the query returned no data: the canary may get no traffic yet, or a label in the query matches no series"
                )
            }
            if samples.count > 1 {
                return .inconclusive(
                    "the query returned \(samples.count) series; aggregate it to one, e.g. with sum(...)")
            }
            guard let pair = samples[0].value, pair.count == 2, case .text(let text) = pair[1] else {
                return .inconclusive("unexpected result shape (\(data.resultType)); use an instant vector query")
            }
            valueText = text
        }
        guard let value = Double(valueText) else { return .inconclusive("value `\(valueText)` is not a number") }
        guard value.isFinite else {
            return .inconclusive(
                "the query returned \(valueText): usually 0/0 because the canary has no requests in the window yet")
        }
        return .value(value)
    }

    private struct RangeData: Decodable {
        struct Series: Decodable {
            var metric: [String: String]?
            var values: [[Answer.Value]]?
        }
        var resultType: String
        var result: [Series]
    }

    /// Prometheus's answer around any payload: `status`, and `errorType`/`error` when it failed.
    private struct Envelope<Payload: Decodable>: Decodable {
        var status: String
        var data: Payload?
        var errorType: String?
        var error: String?
    }

    /// One API call: the payload, or why there is none (unreachable, not the API's JSON, rejected).
    func ask<Payload: Decodable>(
        _ path: String, _ items: [URLQueryItem], timeout: Duration, as payload: Payload.Type,
        context: EnvironmentContext
    ) async -> Result<Payload, MetricBackendProblem> {
        let baseURL: String
        switch Self.baseURL(context) {
        case .success(let address): baseURL = address
        case .failure(let problem): return .failure(problem)
        }
        var components = URLComponents(string: baseURL + path)
        components?.queryItems = items
        // `+` is a literal in PromQL but a space in query strings.
        let encoded = components?.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        components?.percentEncodedQuery = encoded
        guard let url = components?.url else {
            return .failure(MetricBackendProblem(message: "cannot build a query URL from \(baseURL)"))
        }
        let response: HTTPResponse
        do {
            response = try await context.metricGet(url, endpoint: Self.address, timeout: timeout)
        } catch {
            return .failure(MetricBackendProblem(message: "Prometheus at \(baseURL) is unreachable: \(error)"))
        }
        if response.status == 401 || response.status == 403 {
            return .failure(
                MetricBackendProblem(
                    message:
                        "Prometheus at \(baseURL) refused the query (HTTP \(response.status)): check the environment's `auth:` and its credentials"
                ))
        }
        guard let answer = try? JSONDecoder().decode(Envelope<Payload>.self, from: response.body) else {
            return .failure(
                MetricBackendProblem(
                    message: "Prometheus answered HTTP \(response.status) with something that is not its API's JSON"))
        }
        guard answer.status == "success", let data = answer.data else {
            return .failure(
                MetricBackendProblem(
                    message:
                        "Prometheus rejected the query (\(answer.errorType ?? "HTTP \(response.status)")): \(answer.error ?? "no detail")"
                ))
        }
        return .success(data)
    }

    /// `/api/v1/query_range`: one series expected, as for an instant query; NaN and ±Inf left out.
    public func readRange(from start: Date, to end: Date, step: Duration, context: EnvironmentContext) async
        -> MetricRange
    {
        switch await readSeriesRange(from: start, to: end, step: step, context: context) {
        case .unavailable(let reason):
            return .unavailable(reason)
        case .series(let series):
            guard series.count <= 1 else {
                return .unavailable(
                    "the query returned \(series.count) series; aggregate it to one, e.g. with sum(...)")
            }
            return .samples(series.first?.value ?? [:])
        }
    }

    /// `/api/v1/query_range` with each series kept by its labels; NaN and ±Inf left out.
    public func readSeriesRange(from start: Date, to end: Date, step: Duration, context: EnvironmentContext) async
        -> SeriesRange
    {
        let seconds = { (date: Date) in String(format: "%.3f", date.timeIntervalSince1970) }
        let items = [
            URLQueryItem(name: "query", value: text), URLQueryItem(name: "start", value: seconds(start)),
            URLQueryItem(name: "end", value: seconds(end)),
            URLQueryItem(name: "step", value: String(format: "%.3f", step.timeInterval)),
        ]
        let data: RangeData
        switch await ask(
            "/api/v1/query_range", items, timeout: max(Self.timeout, .seconds(30)), as: RangeData.self, context: context
        ) {
        case .success(let answer): data = answer
        case .failure(let problem): return .unavailable(problem.message)
        }
        var series: [String: [Date: Double]] = [:]
        for one in data.result {
            var samples: [Date: Double] = [:]
            for pair in one.values ?? [] {
                guard pair.count == 2, case .time(let time) = pair[0], time.isFinite, case .text(let text) = pair[1],
                    let value = Double(text), value.isFinite
                else { continue }
                samples[Date(timeIntervalSince1970: time)] = value
            }
            series[Self.key(one.metric), default: [:]].merge(samples) { $1 }
        }
        return .series(series)
    }

    private struct Targets: Decodable {
        struct Data: Decodable { var activeTargets: [Target] }
        struct Target: Decodable {
            var health: String?
            var lastScrape: String?
        }
        var status: String
        var data: Data?
    }

    /// Polls `/api/v1/targets` until every healthy target has been scraped after
    /// `instant`: from then on a query sees samples the last evaluation did not.
    public func awaitNewSample(after instant: Date, limit: Duration, clock: EngineClock, context: EnvironmentContext)
        async -> Bool?
    {
        let deadline = clock.now() + limit
        guard case .success(let baseURL) = Self.baseURL(context),
            let url = URL(string: baseURL + "/api/v1/targets?state=active")
        else {
            try? await clock.sleep(limit)
            return nil
        }
        var answered = false
        while clock.now() < deadline, !Task.isCancelled {
            if let response = try? await context.metricGet(
                url, endpoint: Self.address, timeout: min(Self.timeout, deadline - clock.now())),
                let targets = try? JSONDecoder().decode(Targets.self, from: response.body), targets.status == "success",
                let active = targets.data?.activeTargets.filter({ $0.health == "up" })
            {
                answered = true
                if !active.isEmpty,
                    active.allSatisfy({ $0.lastScrape.flatMap(RFC3339.parse).map { $0 > instant } ?? false })
                {
                    return true
                }
            }
            try? await clock.sleep(min(Self.pollInterval, max(.zero, deadline - clock.now())))
        }
        // Without an answer from the targets API, nobody can say whether a sample is new.
        return answered ? false : nil
    }

    static let pollInterval: Duration = .milliseconds(100)

    /// The environment's Prometheus, without a trailing slash.
    private static func baseURL(_ context: EnvironmentContext) -> Result<String, MetricBackendProblem> {
        context.address(of: address).map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
    }
}
