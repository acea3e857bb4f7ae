import Foundation

/// Waits for whichever of several racers answers first and ignores the rest, without waiting for them
/// to end (unlike a task group, which waits for every child, even one that ignores cancellation).
final class FirstAnswer<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Value?, Never>?
    private var answered = false

    /// Starts the racers with a `finish` each can call; returns the first value given (nil for "none").
    func wait(_ start: (@escaping @Sendable (Value?) -> Void) -> Void) async -> Value? {
        await withCheckedContinuation { continuation in
            lock.withLock { self.continuation = continuation }
            start { [self] value in
                let waiting: CheckedContinuation<Value?, Never>? = lock.withLock {
                    guard !answered else { return nil }
                    answered = true
                    defer { self.continuation = nil }
                    return self.continuation
                }
                waiting?.resume(returning: value)
            }
        }
    }
}
