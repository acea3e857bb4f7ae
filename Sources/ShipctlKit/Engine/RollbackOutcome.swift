import Foundation

public struct RollbackOutcome: Sendable {
    public var deployment: String
    public var target: String
    public var verified: TrafficSplit?
}
