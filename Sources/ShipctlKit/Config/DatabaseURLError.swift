import Foundation

public struct DatabaseURLError: Error, Sendable {
    public var message: String
    init(_ message: String) { self.message = message }
}
