import Foundation

/// Sends a deployment's trace to an OTLP/HTTP endpoint as JSON (`POST …/v1/traces`), once the deployment is
/// over: a short timeout and one more try, then a warning — never a delay of the revert, never another exit
/// code. A small exporter of shipctl's own rather than an OpenTelemetry SDK: the engine already knows every
/// span's start and end from its journal, and the encoding is one JSON document.
public struct TraceExporter: Sendable {
    public let settings: OTLPSettings
    private let http: any HTTPClient
    public var tryTimeout: Duration = .seconds(3)

    public init(settings: OTLPSettings, http: any HTTPClient) {
        self.settings = settings
        self.http = http
    }

    /// Nil when the environment sets no OTLP endpoint.
    public init?(environment: [String: String], http: any HTTPClient) {
        guard let settings = OTLPSettings(environment: environment) else { return nil }
        self.init(settings: settings, http: http)
    }

    func begin(deployment: String, service: String, env: String, actor: Actor) -> DeploymentTrace {
        DeploymentTrace(deployment: deployment, service: service, env: env, actor: actor, parent: settings.parent)
    }

    /// Sends the trace; a warning for the reporter when it could not be sent.
    func export(_ trace: DeploymentTrace, redactor: Redactor) async -> String? {
        let body = Data(redactor.redact(Self.document(trace.finished(), resource: settings.resource)).canonical.utf8)
        var headers = settings.headers
        headers["Content-Type"] = "application/json"
        var why = ""
        for _ in 1...2 {
            do {
                let response = try await http.send(
                    "POST", settings.endpoint, headers: headers, body: body, timeout: tryTimeout)
                if (200..<300).contains(response.status) { return nil }
                why = "HTTP \(response.status)" + (response.refusedRedirect.map { ", \($0)" } ?? "")
                guard response.status == 429 || response.status >= 500 else { break }
            } catch {
                why = error.description
            }
        }
        let host = settings.endpoint.host ?? "?"
        return
            "the trace of this deployment was not sent to \(host) (\(TerminalText.neutralised(redactor.redact(why), keepNewlines: false))); "
            + "the deployment itself is not affected"
    }

    /// An OTLP `ExportTraceServiceRequest` in its JSON form: ids in hex, times in nanoseconds as strings.
    static func document(_ spans: [TraceSpan], resource: [String: String]) -> JSONValue {
        .object([
            "resourceSpans": .array([
                .object([
                    "resource": .object([
                        "attributes": attributes(resource.mapValues(JSONValue.string))
                    ]),
                    "scopeSpans": .array([
                        .object([
                            "scope": .object(["name": "shipctl"]),
                            "spans": .array(spans.map(span)),
                        ])
                    ]),
                ])
            ])
        ])
    }

    private static func span(_ span: TraceSpan) -> JSONValue {
        var fields: [String: JSONValue] = [
            "traceId": .string(span.context.traceID), "spanId": .string(span.context.spanID),
            "name": .string(span.name), "kind": .int(Int64(span.kind.rawValue)),
            "startTimeUnixNano": .string(nanoseconds(span.start)),
            "endTimeUnixNano": .string(nanoseconds(span.end ?? span.start)),
            "attributes": attributes(span.attributes),
            "events": .array(
                span.events.map {
                    .object([
                        "name": .string($0.name), "timeUnixNano": .string(nanoseconds($0.time)),
                        "attributes": attributes($0.attributes),
                    ])
                }),
        ]
        if let parent = span.parentSpanID { fields["parentSpanId"] = .string(parent) }
        if span.droppedEvents > 0 { fields["droppedEventsCount"] = .int(Int64(span.droppedEvents)) }
        if span.failed { fields["status"] = .object(["code": 2, "message": .string(span.error ?? "")]) }
        return .object(fields)
    }

    private static func attributes(_ values: [String: JSONValue]) -> JSONValue {
        .array(
            values.keys.sorted().map { key in .object(["key": .string(key), "value": value(values[key] ?? .null)]) })
    }

    private static func value(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text): .object(["stringValue": .string(text)])
        case .int(let number): .object(["intValue": .string(String(number))])
        case .number(let number) where number.isFinite: .object(["doubleValue": .number(number)])
        case .number: .object(["stringValue": .string("NaN")])
        case .bool(let flag): .object(["boolValue": .bool(flag)])
        case .array(let items): .object(["arrayValue": .object(["values": .array(items.map(Self.value))])])
        case .null: .object(["stringValue": ""])
        case .object: .object(["stringValue": .string(value.canonical)])
        }
    }

    private static func nanoseconds(_ date: Date) -> String {
        let microseconds = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        return String(microseconds) + "000"
    }
}
