import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The HTTP seam: Prometheus queries, `http` smoke tests and direct AWS API calls go through it.
public protocol HTTPClient: Sendable {
    func get(_ url: URL, timeout: Duration) async throws(ShipctlError) -> HTTPResponse
    /// Any method, with headers and a body.
    func send(_ method: String, _ url: URL, headers: [String: String], body: Data, timeout: Duration)
        async throws(ShipctlError) -> HTTPResponse
}

extension HTTPClient {
    /// For clients that only read (test doubles of a metrics backend).
    public func send(_ method: String, _ url: URL, headers: [String: String], body: Data, timeout: Duration)
        async throws(ShipctlError) -> HTTPResponse
    {
        throw .runtime("this HTTP client does not send \(method) requests")
    }
}

extension HTTPClient {
    /// Sends `method` to its end or its deadline, whatever happens to the calling
    /// task: a revert after a signal, and the flag flips beside it, are such requests.
    public func sendIgnoringCancellation(
        _ method: String, _ url: URL, headers: [String: String], body: Data,
        timeout: Duration
    ) async throws(ShipctlError) -> HTTPResponse {
        let outcome = await ShieldedTask.run { () -> Result<HTTPResponse, ShipctlError> in
            do throws(ShipctlError) {
                return .success(try await send(method, url, headers: headers, body: body, timeout: timeout))
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }
}
