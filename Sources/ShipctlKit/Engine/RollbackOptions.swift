import Foundation

public struct RollbackOptions: Sendable {
    public var to: String?
    public var reason: String?
    public var flipFlags: Bool
    /// `abort`: only an in-flight deployment may be reverted, to its own stable version.
    public var abortOnly: Bool

    public init(to: String? = nil, reason: String? = nil, flipFlags: Bool = true, abortOnly: Bool = false) {
        self.to = to
        self.reason = reason
        self.flipFlags = flipFlags
        self.abortOnly = abortOnly
    }
}
