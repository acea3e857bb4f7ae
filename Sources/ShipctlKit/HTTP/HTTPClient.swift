import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

public struct HTTPResponse: Sendable {
    public var status: Int
    public var body: Data

    public init(status: Int, body: Data) {
        self.status = status
        self.body = body
    }
}

/// The HTTP seam: Prometheus queries, `http` smoke tests and direct AWS API calls go through it.
public protocol HTTPClient: Sendable {
    func get(_ url: URL, timeout: Duration) async throws(ShipctlError) -> HTTPResponse
    /// Any method, with headers and a body.
    func send(_ method: String, _ url: URL, headers: [String: String], body: Data, timeout: Duration) async throws(ShipctlError) -> HTTPResponse
}

extension HTTPClient {
    /// For clients that only read (test doubles of a metrics backend).
    public func send(_ method: String, _ url: URL, headers: [String: String], body: Data, timeout: Duration) async throws(ShipctlError) -> HTTPResponse {
        throw .runtime("this HTTP client does not send \(method) requests")
    }
}

/// `URLSession` over libcurl on Linux.
public struct URLSessionHTTPClient: HTTPClient {
    public init() {}

    public func get(_ url: URL, timeout: Duration) async throws(ShipctlError) -> HTTPResponse {
        try await perform(URLRequest(url: url), timeout: timeout)
    }

    public func send(_ method: String, _ url: URL, headers: [String: String], body: Data, timeout: Duration) async throws(ShipctlError) -> HTTPResponse {
        var request = URLRequest(url: url)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = body
        return try await perform(request, timeout: timeout)
    }

    private func perform(_ request: URLRequest, timeout: Duration) async throws(ShipctlError) -> HTTPResponse {
        var request = request
        let url = request.url?.absoluteString ?? "?"
        request.timeoutInterval = timeout.timeInterval
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout.timeInterval
        configuration.timeoutIntervalForResource = timeout.timeInterval
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        do {
            let (data, response) = try await session.data(for: request)
            return HTTPResponse(status: (response as? HTTPURLResponse)?.statusCode ?? 0, body: data)
        } catch {
            throw .runtime("\(request.httpMethod ?? "GET") \(url) failed: \(error.localizedDescription)")
        }
    }
}
