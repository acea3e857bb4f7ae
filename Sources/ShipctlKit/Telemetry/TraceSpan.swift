import Foundation

/// One span of a deployment's trace, as OTLP carries it.
struct TraceSpan: Sendable {
    enum Kind: Int, Sendable {
        case `internal` = 1
        /// A call to something outside: a cloud API, terraform, a flag service.
        case client = 3
    }

    struct Event: Sendable {
        var name: String
        var time: Date
        var attributes: [String: JSONValue]
    }

    var name: String
    var context: TraceContext
    var parentSpanID: String?
    var kind: Kind
    var start: Date
    var end: Date?
    var attributes: [String: JSONValue] = [:]
    var events: [Event] = []
    /// Nil while unset; the message of an error.
    var error: String?
    var failed = false

    /// At most this many events per span: a canary watched for hours evaluates thousands of times.
    static let eventLimit = 256
    var droppedEvents = 0

    mutating func add(_ event: Event) {
        guard events.count < Self.eventLimit else {
            droppedEvents += 1
            return
        }
        events.append(event)
    }
}
