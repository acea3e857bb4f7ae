import Foundation

/// The time the engine's timing rules run on: steady instants for pauses and
/// intervals, wall time for comparing with a metrics backend's samples, and
/// sleeping. Real time in production; a manual clock in tests makes a
/// 20-second pause take microseconds and every instant exact.
public struct EngineClock: Sendable {
    public var now: @Sendable () -> ContinuousClock.Instant
    public var wallNow: @Sendable () -> Date
    public var sleep: @Sendable (Duration) async throws -> Void

    public init(
        now: @escaping @Sendable () -> ContinuousClock.Instant, wallNow: @escaping @Sendable () -> Date,
        sleep: @escaping @Sendable (Duration) async throws -> Void
    ) {
        self.now = now
        self.wallNow = wallNow
        self.sleep = sleep
    }

    public static let system = EngineClock(
        now: { ContinuousClock.now }, wallNow: { Date() }, sleep: { try await Task.sleep(for: $0) })
}
