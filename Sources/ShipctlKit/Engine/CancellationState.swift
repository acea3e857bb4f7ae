import Foundation

/// Remembers the first SIGINT/SIGTERM a run received. The engine checks it
/// between phases and reverts; later signals are only counted, so a second
/// Ctrl-C cannot abandon a revert half way.
public final class CancellationState: @unchecked Sendable {
    private let lock = NSLock()
    private var first: Int32?
    private var count = 0

    public init() {}

    public var signal: Int32? { lock.withLock { first } }

    /// Returns true for the first signal only.
    @discardableResult
    public func receive(_ signal: Int32) -> Bool {
        lock.withLock {
            count += 1
            if first == nil {
                first = signal
                return true
            }
            return false
        }
    }

    public static func name(_ signal: Int32) -> String {
        switch signal {
        case SIGINT: return "SIGINT"
        case SIGTERM: return "SIGTERM"
        default: return "signal \(signal)"
        }
    }
}
