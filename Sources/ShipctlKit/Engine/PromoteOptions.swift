import Foundation

public struct PromoteOptions: Sendable {
    public var version: String?
    public var dryRun: Bool
    public var yes: Bool
    /// `--on-cancel=hold`: on SIGINT/SIGTERM leave the split as it is (for `resume` or `abort` later) instead of reverting.
    public var holdOnCancel: Bool
    /// Whether a service with evidence steps says, before its first shift, how long each will likely take at
    /// stable's traffic (a read of stable's history and a few hundred simulated canaries).
    public var forecast = true

    public init(version: String? = nil, dryRun: Bool = false, yes: Bool = false, holdOnCancel: Bool = false) {
        self.version = version
        self.dryRun = dryRun
        self.yes = yes
        self.holdOnCancel = holdOnCancel
    }
}
