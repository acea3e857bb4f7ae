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
        // Not cut short by task cancellation, only by the timeout: a cancelled run
        // still has to put traffic back, and that revert is one of these requests.
        let prepared = request
        let exchange = await Task { @Sendable () -> Result<(Data, URLResponse), any Error> in
            do { return .success(try await session.data(for: prepared)) } catch { return .failure(error) }
        }.value
        do {
            let (data, response) = try exchange.get()
            let answer = response as? HTTPURLResponse
            let headers = (answer?.allHeaderFields ?? [:]).reduce(into: [String: String]()) { headers, field in
                if let name = field.key as? String, let value = field.value as? String { headers[name] = value }
            }
            return HTTPResponse(status: answer?.statusCode ?? 0, body: data, headers: headers)
        } catch {
            throw .runtime("\(request.httpMethod ?? "GET") \(url) failed: \(error.localizedDescription)")
        }
    }
}
