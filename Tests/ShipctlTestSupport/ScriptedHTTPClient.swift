import Foundation
import ShipctlKit

/// An HTTP peer answering from a script, recording every request it got
/// (method, URL, headers, body). For the direct AWS API paths in-process.
public final class ScriptedHTTPClient: HTTPClient, @unchecked Sendable {
    public struct Request: Sendable {
        public var method: String
        public var url: URL
        public var headers: [String: String]
        public var body: String
    }

    private let lock = NSLock()
    private var got: [Request] = []
    private let answer: @Sendable (Request, Int) -> HTTPResponse

    /// `answer` gets each request and its 1-based number.
    public init(_ answer: @escaping @Sendable (Request, Int) -> HTTPResponse) {
        self.answer = answer
    }

    public var requests: [Request] { lock.withLock { got } }

    public func get(_ url: URL, timeout: Duration) async throws(ShipctlError) -> HTTPResponse {
        try await send("GET", url, headers: [:], body: Data(), timeout: timeout)
    }

    public func send(_ method: String, _ url: URL, headers: [String: String], body: Data, timeout: Duration)
        async throws(ShipctlError) -> HTTPResponse
    {
        let request = Request(method: method, url: url, headers: headers, body: String(decoding: body, as: UTF8.self))
        let number = lock.withLock {
            got.append(request)
            return got.count
        }
        return answer(request, number)
    }
}
