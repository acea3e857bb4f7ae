import Foundation

/// The clock `analyze` runs a canary's watch on: it starts at the beginning of the replayed window
/// and moves only when the watch sleeps, at once, so an hour of history replays in the time its
/// reads take. Sleeps taken side by side (confirmations of two metrics) end together, as they would
/// in real time: each moves the clock to where it would end, never further.
final class ReplayClock: @unchecked Sendable {
    private let lock = NSLock()
    private let startInstant = ContinuousClock.now
    private let startDate: Date
    private var elapsed: Duration = .zero

    init(startingAt start: Date) {
        startDate = start
    }

    private var offset: Duration { lock.withLock { elapsed } }

    var engineClock: EngineClock {
        EngineClock(
            now: { [self] in startInstant + offset },
            wallNow: { [self] in startDate.addingTimeInterval(offset.timeInterval) },
            sleep: { [self] duration in
                try Task.checkCancellation()
                let end = offset + max(duration, .zero)
                lock.withLock { elapsed = max(elapsed, end) }
                await Task.yield()
            })
    }
}
