import Foundation

public struct SmokeTest: Sendable {
    public enum Kind: Sendable {
        /// Invoke the new version directly with this payload; a function error fails it.
        case invoke(payload: String)
        /// GET the URL and expect this status.
        case http(url: String, status: Int)
        /// Run the argument vector; exit 0 passes.
        case run([String])
    }

    public var name: String
    public var kind: Kind
    public var timeout: Duration
}
