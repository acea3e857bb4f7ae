import Foundation

/// The newest retry notice heard, for a message that says what was tried before giving up.
final class LastRetry: @unchecked Sendable {
    private let lock = NSLock()
    private var latest: String?

    func note(_ message: String) { lock.withLock { latest = message } }
    var last: String? { lock.withLock { latest } }
}
