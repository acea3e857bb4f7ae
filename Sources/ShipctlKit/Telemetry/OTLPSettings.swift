import Foundation

/// Where and how traces are exported, from the standard OpenTelemetry environment variables:
/// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (the full URL) or `OTEL_EXPORTER_OTLP_ENDPOINT` (a base, to which
/// `/v1/traces` is added), `OTEL_EXPORTER_OTLP_HEADERS` (`key=value,…`, values percent-decoded; secrets),
/// `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES`, and `TRACEPARENT`, the trace a CI pipeline runs in.
public struct OTLPSettings: Sendable {
    public var endpoint: URL
    public var headers: [String: String]
    public var resource: [String: String]
    /// The span the deployment's root span is a child of.
    public var parent: TraceContext?

    /// Nil when no endpoint is set (tracing is off) or the one set is not an http(s) URL.
    public init?(environment: [String: String]) {
        let specific = environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"].flatMap(Self.nonEmpty)
        let base = environment["OTEL_EXPORTER_OTLP_ENDPOINT"].flatMap(Self.nonEmpty)
        let text =
            specific
            ?? base.map { $0.hasSuffix("/") ? "\($0)v1/traces" : "\($0)/v1/traces" }
        guard let text, let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
            url.host != nil
        else { return nil }
        endpoint = url
        headers = Self.pairs(environment["OTEL_EXPORTER_OTLP_HEADERS"] ?? "")
        resource = Self.pairs(environment["OTEL_RESOURCE_ATTRIBUTES"] ?? "")
        resource["service.name"] =
            environment["OTEL_SERVICE_NAME"].flatMap(Self.nonEmpty) ?? resource["service.name"] ?? "shipctl"
        parent = environment["TRACEPARENT"].flatMap { TraceContext.parse(traceparent: $0) }
    }

    /// The values of `OTEL_EXPORTER_OTLP_HEADERS` (an API key, a bearer token): hidden in every output.
    public var secrets: [String] {
        headers.values.filter { $0.count >= EnvironmentInterpolator.minimumSecretLength }
    }

    /// `key=value` pairs separated by commas, as the OpenTelemetry environment variables write them.
    static func pairs(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for item in text.split(separator: ",") {
            guard let equals = item.firstIndex(of: "=") else { continue }
            let key = item[..<equals].trimmingCharacters(in: .whitespaces)
            let value = item[item.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty else { continue }
            result[key] = value.removingPercentEncoding ?? value
        }
        return result
    }

    private static func nonEmpty(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty ? nil : trimmed
    }
}
