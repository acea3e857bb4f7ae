import Foundation

/// The lines one service of several wrote, already made safe for the log.
/// GitHub Actions groups cannot interleave, so while services run side by side
/// their lines go out live with a `[service]` prefix, and when each has ended
/// its whole transcript is replayed inside a group of its own.
public final class Transcript: @unchecked Sendable {
    private let lock = NSLock()
    private var kept: [String] = []
    /// Beyond this the oldest lines are dropped: a log is for reading, not for archiving.
    public static let limit = 20_000

    public init() {}

    public var lines: [String] { lock.withLock { kept } }

    public func append(_ line: String) {
        lock.withLock {
            kept.append(line)
            if kept.count > Self.limit { kept.removeFirst(kept.count - Self.limit) }
        }
    }
}
