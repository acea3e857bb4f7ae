import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

public struct HTTPResponse: Sendable {
    public var status: Int
    public var body: Data
    /// Header names in lower case.
    public var headers: [String: String]

    public init(status: Int, body: Data, headers: [String: String] = [:]) {
        self.status = status
        self.body = body
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }) { $1 }
    }

    /// For a 3xx that was not followed: what it pointed at, by host only (a location may carry a token).
    public var refusedRedirect: String? {
        guard (300..<400).contains(status) else { return nil }
        let host = headers["location"].flatMap { URL(string: $0)?.host } ?? "an address it did not name"
        return "a redirect to \(host), which shipctl does not follow for a delivery"
    }
}
