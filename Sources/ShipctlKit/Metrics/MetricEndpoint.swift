import Foundation

/// The address of a metrics backend that every environment gives under its own
/// key (`prometheus: http://HOST:9090`); the loader requires it wherever a
/// service has metrics of that kind.
public struct MetricEndpoint: Sendable {
    /// The key in an environment's block.
    public let key: String
    /// The backend's name in messages.
    public let name: String
    /// A value to teach with.
    public let example: String

    public init(key: String, name: String, example: String) {
        self.key = key
        self.name = name
        self.example = example
    }
}
