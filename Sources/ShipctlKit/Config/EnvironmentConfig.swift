import Foundation

public struct EnvironmentConfig: Sendable {
    public var name: String
    public var region: String?
    /// The address of each metrics backend that needs one, by its key (`prometheus`).
    public var metricEndpoints: [String: String] = [:]
}
