import Foundation

/// One service of several that did not succeed, and why.
public struct ServiceFailure: Sendable {
    public var service: String
    public var error: ShipctlError

    public init(service: String, error: ShipctlError) {
        self.service = service
        self.error = error
    }
}
