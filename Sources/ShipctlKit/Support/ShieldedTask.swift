import Foundation

/// Work that runs to its own end whatever happens to the task that started it: a request that must land
/// after a signal, a backoff that must hold, flag flips beside a revert, a rollback its deadline gives up on.
///
/// The task is detached, so it inherits no task-local values by accident: the two that shipctl's work reads —
/// the span child processes join and the listener retries are told to — are handed over explicitly.
enum ShieldedTask {
    /// Starts `body`; the task's value is its result.
    static func start<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> Task<T, Never> {
        let trace = TraceContext.current
        let listener = RetryNotice.current
        return Task.detached {
            await RetryNotice.$current.withValue(
                listener,
                operation: { await TraceContext.$current.withValue(trace, operation: { await body() }) })
        }
    }

    /// Runs `body` to its end, even when the caller is cancelled meanwhile.
    static func run<T: Sendable>(_ body: @escaping @Sendable () async -> T) async -> T {
        await start(body).value
    }

    /// Waits `duration`, even in a cancelled task: a backoff must not hammer a throttled API after a signal.
    static func sleep(for duration: Duration) async {
        await run { try? await Task.sleep(for: duration) }
    }
}
