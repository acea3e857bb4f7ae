import Foundation

/// How one service's promote ended, for the fan-out summary and the caller.
public struct PromoteOutcome: Sendable {
    public var deployment: String
    public var service: String
    public var env: String
    public var stable: String
    public var version: String
    public var ending: PromoteEnding

    public var outcome: DeploymentOutcome { ending.outcome }

    /// The outcome of a promote that succeeded; the error its ending reports otherwise (the command's one
    /// mapping from endings to exit codes).
    public func succeeded() throws(ShipctlError) -> PromoteOutcome {
        if let failure = ending.failure { throw failure }
        return self
    }
}
