import Foundation

/// When and how often a failed program is tried again. Only failures that the
/// next attempt can plausibly fix (throttling, 5xx, dropped connections) are
/// retried; a permanent error such as AccessDenied reaches the user at once.
public struct RetryPolicy: Sendable {
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration
    public var retryTimeouts: Bool

    public static let standard = RetryPolicy(
        maxAttempts: 4, baseDelay: .milliseconds(200), maxDelay: .seconds(5), retryTimeouts: false)
    /// For putting traffic back on stable: the one call that must not give up early.
    public static let revert = RetryPolicy(
        maxAttempts: 8, baseDelay: .milliseconds(100), maxDelay: .seconds(2), retryTimeouts: true)
    public static let never = RetryPolicy(maxAttempts: 1, baseDelay: .zero, maxDelay: .zero, retryTimeouts: false)

    static let transientMarkers = [
        "Throttling", "ThrottlingException", "TooManyRequestsException", "Rate exceeded", "RequestLimitExceeded",
        "ServiceUnavailable", "InternalServerError", "InternalFailure", "ServiceException",
        "(500)", "(502)", "(503)", "(504)", "status code: 5", "Could not connect to the endpoint URL",
        "Connection reset", "connection reset", "Connection was closed", "EndpointConnectionError",
        "Read timeout on endpoint", "connection refused", "Connection refused", "i/o timeout", "TLS handshake timeout",
        // gcloud prints the Google API status: 429 and 5xx
        "RESOURCE_EXHAUSTED", "UNAVAILABLE:", "DEADLINE_EXCEEDED", "INTERNAL:",
    ]

    public func isTransient(_ result: ProcessResult) -> Bool {
        if result.succeeded { return false }
        if result.timedOut { return retryTimeouts }
        return Self.transientMarkers.contains { result.stderr.contains($0) }
    }

    /// Exponential backoff with full jitter, capped.
    public func delay(beforeAttempt attempt: Int) -> Duration {
        let exponent = Double(1 << min(max(attempt - 2, 0), 16))
        let ceiling = min(baseDelay.timeInterval * exponent, maxDelay.timeInterval)
        return .milliseconds(Int64(Double.random(in: (ceiling / 2)...max(ceiling, ceiling / 2 + 0.001)) * 1000))
    }
}
