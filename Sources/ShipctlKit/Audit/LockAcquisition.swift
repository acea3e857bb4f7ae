import Foundation

public enum LockAcquisition: Sendable {
    case acquired
    /// The previous holder was gone (its process, or its lock file was unreadable); the lock was taken over from it.
    case tookOver(from: String)
}
