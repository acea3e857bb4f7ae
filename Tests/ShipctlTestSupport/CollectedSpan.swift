import Foundation

/// A span as the world's OpenTelemetry collector (rotel, `--debug-log-verbosity detailed`) printed it:
/// its ids, name, status, attributes and events, attribute values as printed (`Str(deploy)` → `deploy`).
public struct CollectedSpan: Sendable {
    public struct Event: Sendable {
        public var name: String
        public var attributes: [String: String]
    }

    public var traceID = ""
    public var parentID = ""
    public var spanID = ""
    public var name = ""
    public var status = ""
    public var statusMessage = ""
    public var attributes: [String: String] = [:]
    public var events: [Event] = []

    /// Every span in the collector's log, in the order it printed them.
    public static func all(inLog path: String) -> [CollectedSpan] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        var spans: [CollectedSpan] = []
        var span: CollectedSpan?
        var inEvents = false
        func field(_ line: Substring, _ label: String) -> String? {
            guard line.hasPrefix(label), let colon = line.firstIndex(of: ":") else { return nil }
            return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        for raw in text.split(separator: "\n") {
            let line = raw.drop { $0 == " " }
            if line.hasPrefix("Span #") {
                if let span { spans.append(span) }
                span = CollectedSpan()
                inEvents = false
                continue
            }
            guard span != nil else { continue }
            if line.hasPrefix("ResourceSpans #") {
                if let done = span { spans.append(done) }
                span = nil
                continue
            }
            if let value = field(line, "Trace ID") {
                span?.traceID = value
            } else if let value = field(line, "Parent ID") {
                span?.parentID = value
            } else if let value = field(line, "ID") {
                span?.spanID = value
            } else if let value = field(line, "Name"), !inEvents {
                span?.name = value
            } else if let value = field(line, "Status code") {
                span?.status = value
            } else if let value = field(line, "Status message") {
                span?.statusMessage = value
            } else if line.hasPrefix("Events:") {
                inEvents = true
            } else if line.hasPrefix("-> Name:") {
                span?.events.append(
                    Event(name: String(line.dropFirst(8)).trimmingCharacters(in: .whitespaces), attributes: [:]))
            } else if line.hasPrefix("-> "), let colon = line.firstIndex(of: ":") {
                let key = String(line[line.index(line.startIndex, offsetBy: 3)..<colon])
                var value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                if let open = value.firstIndex(of: "("), value.hasSuffix(")") {
                    value = String(value[value.index(after: open)..<value.index(before: value.endIndex)])
                }
                if inEvents, let last = span?.events.indices.last {
                    if !["Timestamp", "DroppedAttributesCount", "Attributes"].contains(key) {
                        span?.events[last].attributes[key] = value
                    }
                } else {
                    span?.attributes[key] = value
                }
            }
        }
        if let span { spans.append(span) }
        return spans
    }
}
