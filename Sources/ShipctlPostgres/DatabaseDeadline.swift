import Foundation
import PostgresNIO
import ShipctlKit

/// Bounds one database step from the client's side, whatever the server or the
/// driver does: at the deadline the connection is closed (which fails whatever
/// waits on it) and the caller goes on at once with an error — even when the
/// driver would never complete the step (a query sent on a connection the
/// server has already closed).
enum DatabaseDeadline {
    static func run<T: Sendable>(
        _ limit: Duration, on connection: PostgresConnection, what: String,
        _ step: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let race = Race<T>()
        return try await withCheckedThrowingContinuation { continuation in
            race.start(continuation)
            let timer = Task.detached {
                try? await Task.sleep(for: limit)
                guard !Task.isCancelled,
                    race.finish(
                        .failure(
                            ShipctlError.runtime(
                                "the state database did not finish \(what) within \(DurationParser.format(limit))",
                                hint:
                                    "another session may hold a lock on shipctl's tables (a migration, VACUUM FULL, REINDEX): look at pg_locks and pg_stat_activity"
                            )))
                else { return }
                try? await connection.close()
            }
            Task.detached {
                let result: Result<T, any Error>
                do { result = .success(try await step()) } catch { result = .failure(error) }
                timer.cancel()
                race.finish(result)
            }
        }
    }

    /// The first of the step and its deadline resumes the caller.
    private final class Race<T: Sendable>: @unchecked Sendable {
        private let lock = NSLock()
        private var continuation: CheckedContinuation<T, any Error>?

        func start(_ continuation: CheckedContinuation<T, any Error>) {
            lock.withLock { self.continuation = continuation }
        }

        @discardableResult
        func finish(_ result: Result<T, any Error>) -> Bool {
            let waiting = lock.withLock { () -> CheckedContinuation<T, any Error>? in
                defer { continuation = nil }
                return continuation
            }
            waiting?.resume(with: result)
            return waiting != nil
        }
    }
}
