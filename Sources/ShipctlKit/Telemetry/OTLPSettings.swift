import Foundation

/// Where and how traces are exported, from the standard OpenTelemetry environment variables:
/// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (the full URL) or `OTEL_EXPORTER_OTLP_ENDPOINT` (a base, to which
/// `/v1/traces` is added), `OTEL_EXPORTER_OTLP_HEADERS` (`key=value,…`, values percent-decoded; secrets),
/// `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES`, and `TRACEPARENT`, the trace a CI pipeline runs in.
public struct OTLPSettings: Sendable {
    public var endpoint: URL
    public var headers: [String: String]
    /// `OTEL_EXPORTER_OTLP_HEADERS` as given, for the forms its values may be printed in.
    private var rawHeaders = ""
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
        rawHeaders = environment["OTEL_EXPORTER_OTLP_HEADERS"] ?? ""
        headers = Self.pairs(rawHeaders)
        resource = Self.pairs(environment["OTEL_RESOURCE_ATTRIBUTES"] ?? "")
        resource["service.name"] =
            environment["OTEL_SERVICE_NAME"].flatMap(Self.nonEmpty) ?? resource["service.name"] ?? "shipctl"
        parent = environment["TRACEPARENT"].flatMap { TraceContext.parse(traceparent: $0) }
    }

    /// The values of `OTEL_EXPORTER_OTLP_HEADERS` (an API key, a bearer token): hidden in every output, in
    /// every form they may be printed in — as given (`Basic%20…`, the form documented for that variable),
    /// decoded, and the credential alone after its scheme word.
    public var secrets: [String] {
        let given = Self.pairs(rawHeaders, decoding: false).values
        let decoded = headers.values
        let parts = decoded.flatMap { $0.split(separator: " ").map(String.init) }
        return Array(Set(given).union(decoded).union(parts)).filter {
            $0.count >= EnvironmentInterpolator.minimumSecretLength
        }.sorted()
    }

    /// `key=value` pairs separated by commas, as the OpenTelemetry environment variables write them.
    static func pairs(_ text: String, decoding: Bool = true) -> [String: String] {
        var result: [String: String] = [:]
        for item in text.split(separator: ",") {
            guard let equals = item.firstIndex(of: "=") else { continue }
            let key = item[..<equals].trimmingCharacters(in: .whitespaces)
            let value = item[item.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty else { continue }
            result[key] = decoding ? value.removingPercentEncoding ?? value : value
        }
        return result
    }

    private static func nonEmpty(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty ? nil : trimmed
    }
}
