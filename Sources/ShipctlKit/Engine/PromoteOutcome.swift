import Foundation

/// How one service's promote ended, for the fan-out summary and the caller.
public struct PromoteOutcome: Sendable {
    public var deployment: String
    public var service: String
    public var env: String
    public var stable: String
    public var version: String
    public var outcome: DeploymentOutcome
}
