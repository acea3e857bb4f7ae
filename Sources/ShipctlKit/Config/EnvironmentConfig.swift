import Foundation

public struct EnvironmentConfig: Sendable {
    public var name: String
    public var region: String?
    /// The address of each metrics backend that needs one, by its key (`prometheus`).
    public var metricEndpoints: [String: String] = [:]
    /// How each of those is asked when it sits behind auth, by the same key.
    public var metricAuth: [String: MetricEndpointAuth] = [:]
}
