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

/// The HTTP seam: Prometheus queries and `http` smoke tests go through it.
public protocol HTTPClient: Sendable {
    func get(_ url: URL, timeout: Duration) async throws(ShipctlError) -> HTTPResponse
}

/// `URLSession` over libcurl on Linux.
public struct URLSessionHTTPClient: HTTPClient {
    public init() {}

    public func get(_ url: URL, timeout: Duration) async throws(ShipctlError) -> HTTPResponse {
        var request = URLRequest(url: url)
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
            throw .runtime("GET \(url.absoluteString) failed: \(error.localizedDescription)")
        }
    }
}
