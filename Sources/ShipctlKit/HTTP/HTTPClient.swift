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

extension HTTPClient {
    /// Sends `method` to its end or its deadline, whatever happens to the calling
    /// task: a revert after a signal, and the flag flips beside it, are such requests.
    public func sendIgnoringCancellation(
        _ method: String, _ url: URL, headers: [String: String], body: Data,
        timeout: Duration
    ) async throws(ShipctlError) -> HTTPResponse {
        let outcome = await Task { () -> Result<HTTPResponse, ShipctlError> in
            do throws(ShipctlError) {
                return .success(try await send(method, url, headers: headers, body: body, timeout: timeout))
            } catch {
                return .failure(error)
            }
        }.value
        return try outcome.get()
    }
}
