import Foundation

/// Prometheus over its HTTP API (`/api/v1/query`). Values arrive as strings so
/// that NaN and ±Inf survive; both are inconclusive.
public struct PrometheusSource: MetricSource {
    public let baseURL: String
    private let http: any HTTPClient
    private let timeout: Duration

    public init(baseURL: String, http: any HTTPClient, timeout: Duration = .seconds(5)) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.http = http
        self.timeout = timeout
    }

    private struct Answer: Decodable {
        struct Data: Decodable {
            var resultType: String
            var result: Result
        }
        enum Result: Decodable {
            case vector([Sample])
            case scalar([Value])
            init(from decoder: Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let samples = try? container.decode([Sample].self) { self = .vector(samples) }
                else { self = .scalar(try container.decode([Value].self)) }
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
                if let number = try? container.decode(Double.self) { self = .time(number) }
                else { self = .text(try container.decode(String.self)) }
            }
        }
        var status: String
        var data: Data?
        var errorType: String?
        var error: String?
    }

    public func read(_ query: MetricQuery) async -> MetricReading {
        guard case let .prometheus(text) = query else { return .inconclusive("not a Prometheus query") }
        var components = URLComponents(string: baseURL + "/api/v1/query")
        components?.queryItems = [URLQueryItem(name: "query", value: text)]
        // `+` is a literal in PromQL but a space in query strings.
        let encoded = components?.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        components?.percentEncodedQuery = encoded
        guard let url = components?.url else { return .inconclusive("cannot build a query URL from \(baseURL)") }
        let response: HTTPResponse
        do {
            response = try await http.get(url, timeout: timeout)
        } catch {
            return .inconclusive("Prometheus at \(baseURL) is unreachable: \(error)")
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: response.body) else {
            return .inconclusive("Prometheus answered HTTP \(response.status) with something that is not its API's JSON")
        }
        guard answer.status == "success", let data = answer.data else {
            return .inconclusive("Prometheus rejected the query (\(answer.errorType ?? "HTTP \(response.status)")): \(answer.error ?? "no detail")")
        }
        let valueText: String
        switch data.result {
        case let .scalar(pair):
            guard pair.count == 2, case let .text(text) = pair[1] else { return .inconclusive("unexpected scalar shape") }
            valueText = text
        case let .vector(samples):
            if samples.isEmpty {
                return .inconclusive("the query returned no data: the canary may get no traffic yet, or a label in the query matches no series")
            }
            if samples.count > 1 {
                return .inconclusive("the query returned \(samples.count) series; aggregate it to one, e.g. with sum(...)")
            }
            guard let pair = samples[0].value, pair.count == 2, case let .text(text) = pair[1] else {
                return .inconclusive("unexpected result shape (\(data.resultType)); use an instant vector query")
            }
            valueText = text
        }
        guard let value = Double(valueText) else { return .inconclusive("value `\(valueText)` is not a number") }
        guard value.isFinite else {
            return .inconclusive("the query returned \(valueText): usually 0/0 because the canary has no requests in the window yet")
        }
        return .value(value)
    }

    private struct RangeAnswer: Decodable {
        struct Data: Decodable {
            var resultType: String
            var result: [Series]
        }
        struct Series: Decodable {
            var values: [[Answer.Value]]?
        }
        var status: String
        var data: Data?
        var errorType: String?
        var error: String?
    }

    /// `/api/v1/query_range`: one series expected, as for an instant query; NaN and ±Inf left out.
    public func readRange(_ query: MetricQuery, from start: Date, to end: Date, step: Duration) async -> MetricRange {
        guard case let .prometheus(text) = query else { return .unavailable("not a Prometheus query") }
        let seconds = { (date: Date) in String(format: "%.3f", date.timeIntervalSince1970) }
        var components = URLComponents(string: baseURL + "/api/v1/query_range")
        components?.queryItems = [URLQueryItem(name: "query", value: text), URLQueryItem(name: "start", value: seconds(start)),
                                  URLQueryItem(name: "end", value: seconds(end)), URLQueryItem(name: "step", value: String(format: "%.3f", step.timeInterval))]
        let encoded = components?.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        components?.percentEncodedQuery = encoded
        guard let url = components?.url else { return .unavailable("cannot build a query URL from \(baseURL)") }
        let response: HTTPResponse
        do {
            response = try await http.get(url, timeout: max(timeout, .seconds(30)))
        } catch {
            return .unavailable("Prometheus at \(baseURL) is unreachable: \(error)")
        }
        guard let answer = try? JSONDecoder().decode(RangeAnswer.self, from: response.body) else {
            return .unavailable("Prometheus answered HTTP \(response.status) with something that is not its API's JSON")
        }
        guard answer.status == "success", let data = answer.data else {
            return .unavailable("Prometheus rejected the query (\(answer.errorType ?? "HTTP \(response.status)")): \(answer.error ?? "no detail")")
        }
        if data.result.count > 1 {
            return .unavailable("the query returned \(data.result.count) series; aggregate it to one, e.g. with sum(...)")
        }
        var samples: [Date: Double] = [:]
        for pair in data.result.first?.values ?? [] {
            guard pair.count == 2, case let .time(time) = pair[0], time.isFinite, case let .text(text) = pair[1],
                  let value = Double(text), value.isFinite else { continue }
            samples[Date(timeIntervalSince1970: time)] = value
        }
        return .samples(samples)
    }

    private struct Targets: Decodable {
        struct Data: Decodable { var activeTargets: [Target] }
        struct Target: Decodable { var health: String?; var lastScrape: String? }
        var status: String
        var data: Data?
    }

    /// Polls `/api/v1/targets` until every healthy target has been scraped after
    /// `instant`: from then on a query sees samples the last evaluation did not.
    public func awaitNewSample(after instant: Date, limit: Duration, clock: EngineClock) async -> Bool? {
        let deadline = clock.now() + limit
        guard let url = URL(string: baseURL + "/api/v1/targets?state=active") else { return nil }
        var answered = false
        while clock.now() < deadline, !Task.isCancelled {
            if let response = try? await http.get(url, timeout: min(timeout, deadline - clock.now())),
               let targets = try? JSONDecoder().decode(Targets.self, from: response.body), targets.status == "success",
               let active = targets.data?.activeTargets.filter({ $0.health == "up" }) {
                answered = true
                if !active.isEmpty, active.allSatisfy({ $0.lastScrape.flatMap(RFC3339.parse).map { $0 > instant } ?? false }) { return true }
            }
            try? await clock.sleep(min(Self.pollInterval, max(.zero, deadline - clock.now())))
        }
        // Without an answer from the targets API, nobody can say whether a sample is new.
        return answered ? false : nil
    }

    static let pollInterval: Duration = .milliseconds(100)
}
