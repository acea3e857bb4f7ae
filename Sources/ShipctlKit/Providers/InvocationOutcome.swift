import Foundation

/// The outcome of calling the new version directly in a smoke test.
public struct InvocationOutcome: Sendable {
    public var succeeded: Bool
    public var detail: String

    public init(succeeded: Bool, detail: String) {
        self.succeeded = succeeded
        self.detail = detail
    }
}
