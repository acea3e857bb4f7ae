import Foundation

/// A W3C trace context: the trace a span belongs to and the span itself, as `TRACEPARENT` carries them
/// (`00-<32 hex trace id>-<16 hex span id>-<flags>`). The span an action runs in is task-local, so every
/// process started within it gets it as its `TRACEPARENT`.
public struct TraceContext: Sendable, Equatable {
    public var traceID: String
    public var spanID: String

    @TaskLocal public static var current: TraceContext?

    public init(traceID: String, spanID: String) {
        self.traceID = traceID
        self.spanID = spanID
    }

    /// A new span in the trace of `parent`, or the first span of a new trace.
    public static func child(of parent: TraceContext?) -> TraceContext {
        TraceContext(traceID: parent?.traceID ?? randomHex(bytes: 16), spanID: randomHex(bytes: 8))
    }

    /// `TRACEPARENT` as a CI pipeline hands it over; nil for anything that is not a valid version-00 header.
    public static func parse(traceparent text: String) -> TraceContext? {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "00", isHex(parts[1], length: 32), isHex(parts[2], length: 16),
            isHex(parts[3], length: 2), !parts[1].allSatisfy({ $0 == "0" }), !parts[2].allSatisfy({ $0 == "0" })
        else { return nil }
        return TraceContext(traceID: String(parts[1]), spanID: String(parts[2]))
    }

    /// What a child process gets as `TRACEPARENT`: sampled, so the next hop records it too.
    public var traceparent: String { "00-\(traceID)-\(spanID)-01" }

    /// Runs `body` with `context` as the current span (unchanged when nil).
    static func within<T>(_ context: TraceContext?, _ body: () async throws(ShipctlError) -> T)
        async throws(ShipctlError) -> T
    {
        guard let context else { return try await body() }
        return try await $current.withValue(context, typed: body)
    }

    private static func isHex(_ text: Substring, length: Int) -> Bool {
        // ASCII only: `Character.isHexDigit` also takes fullwidth digits, which no header may carry.
        text.utf8.count == length && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    private static func randomHex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}
