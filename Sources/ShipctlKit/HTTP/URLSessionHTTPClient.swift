import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `URLSession` over libcurl on Linux. Every request ends by its deadline,
/// reads at most `bodyLimit` bytes of answer (a runner's memory is small, and
/// an answer is read while a revert may be due), and is cut short when the
/// calling task is cancelled (a signal); callers whose request must outlive a
/// signal use `sendIgnoringCancellation`.
public struct URLSessionHTTPClient: HTTPClient {
    public static let defaultBodyLimit = 16 << 20
    private let bodyLimit: Int

    public init(bodyLimit: Int = Self.defaultBodyLimit) {
        self.bodyLimit = bodyLimit
    }

    public func get(_ url: URL, timeout: Duration) async throws(ShipctlError) -> HTTPResponse {
        try await perform(URLRequest(url: url), timeout: timeout)
    }

    public func send(_ method: String, _ url: URL, headers: [String: String], body: Data, timeout: Duration)
        async throws(ShipctlError) -> HTTPResponse
    {
        var request = URLRequest(url: url)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = body
        return try await perform(request, timeout: timeout)
    }

    private func perform(_ request: URLRequest, timeout: Duration) async throws(ShipctlError) -> HTTPResponse {
        var request = request
        request.timeoutInterval = timeout.timeInterval
        let what = "\(request.httpMethod ?? "GET") \(request.url.map(URLText.withoutPassword) ?? "?")"
        switch await HTTPExchange.run(request, timeout: timeout, bodyLimit: bodyLimit) {
        case .success(let response):
            return response
        case .failure(.timedOut):
            throw .runtime(
                "\(what) timed out after \(DurationParser.format(timeout)) (the whole answer must arrive by then)")
        case .failure(.cancelled):
            throw .runtime("\(what) was cancelled")
        case .failure(.tooLarge):
            throw .runtime(
                "\(what) answered with more than \(bodyLimit >> 20) MiB; shipctl reads no more than that",
                hint: "check that the address points at the API it should, not at a download")
        case .failure(.failed(let reason)):
            throw .runtime("\(what) failed: \(reason)")
        }
    }
}
