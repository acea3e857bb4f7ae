import Foundation
import ShipctlKit

/// A clock that only moves when the engine sleeps: each sleep advances it at
/// once by the time asked for, so a 20-second pause runs in microseconds and
/// every instant a test reads back is exact.
public final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private let startInstant = ContinuousClock.now
    private let startDate = Date(timeIntervalSince1970: 1_800_000_000)
    private var elapsed: Duration = .zero

    public init() {}

    /// Time since the clock was made.
    public var offset: Duration { lock.withLock { elapsed } }

    public func advance(by duration: Duration) {
        lock.withLock { elapsed += max(duration, .zero) }
    }

    /// Wall time at `offset` from the start, for scripting samples.
    public func date(at offset: Duration) -> Date { startDate.addingTimeInterval(offset.timeInterval) }

    public var engineClock: EngineClock {
        EngineClock(
            now: { [self] in startInstant + offset },
            wallNow: { [self] in date(at: offset) },
            sleep: { [self] duration in
                try Task.checkCancellation()
                advance(by: duration)
                await Task.yield()
            })
    }
}
