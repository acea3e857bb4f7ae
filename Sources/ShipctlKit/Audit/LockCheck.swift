import Foundation

/// Whether a runner still holds the deployment lock it took: a team database
/// can end the lock's session under it (a restart, a failover, an idle timeout,
/// an operator's `pg_terminate_backend`), and from then on another runner may
/// take the lock and move the same traffic.
public enum LockCheck: Sendable, Equatable {
    case held
    /// Gone, and why.
    case lost(String)
}
