import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One request on its own `URLSession`, held to the limits an outside peer
/// cannot be trusted to keep: a deadline for the whole exchange (a peer that
/// sends a byte a second never goes silent long enough for URLSession's own
/// idle timeout), a cap on the body read into memory, and no redirect that
/// would carry credentials to another origin or off TLS.
final class HTTPExchange: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    enum Failure: Error {
        case timedOut
        case cancelled
        case tooLarge
        case failed(String)
    }

    private let bodyLimit: Int
    /// Whether the request carries credentials that must stay with its origin.
    private let credentialed: Bool
    private let lock = NSLock()
    private var body = Data()
    private var response: HTTPURLResponse?
    private var outcome: Result<HTTPResponse, Failure>?
    private var continuation: CheckedContinuation<Result<HTTPResponse, Failure>, Never>?

    init(bodyLimit: Int, credentialed: Bool) {
        self.bodyLimit = bodyLimit
        self.credentialed = credentialed
    }

    /// Runs `request` to its end, its deadline, or the cancellation of the calling task.
    static func run(_ request: URLRequest, timeout: Duration, bodyLimit: Int) async -> Result<HTTPResponse, Failure> {
        // Every header a caller sets may be a credential (`x-honeycomb-team`, `api-key`), not only Authorization.
        let credentialed = (request.allHTTPHeaderFields ?? [:]).keys.contains {
            !Self.plainHeaders.contains($0.lowercased())
        }
        let exchange = HTTPExchange(bodyLimit: bodyLimit, credentialed: credentialed)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout.timeInterval
        configuration.timeoutIntervalForResource = timeout.timeInterval
        let session = URLSession(configuration: configuration, delegate: exchange, delegateQueue: nil)
        defer { session.invalidateAndCancel() }
        let task = session.dataTask(with: request)
        let deadline = DispatchWorkItem {
            exchange.finish(.failure(.timedOut))
            task.cancel()
        }
        defer { deadline.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                guard exchange.wait(continuation) else { return }
                DispatchQueue.global().asyncAfter(deadline: .now() + timeout.timeInterval, execute: deadline)
                task.resume()
            }
        } onCancel: {
            exchange.finish(.failure(.cancelled))
            task.cancel()
        }
    }

    /// Keeps the continuation, or resumes it at once when the exchange already ended (cancelled before it began).
    private func wait(_ continuation: CheckedContinuation<Result<HTTPResponse, Failure>, Never>) -> Bool {
        let ended: Result<HTTPResponse, Failure>? = lock.withLock {
            if let outcome { return outcome }
            self.continuation = continuation
            return nil
        }
        guard let ended else { return true }
        continuation.resume(returning: ended)
        return false
    }

    /// The first end wins: the answer, its deadline, a cancellation, or the cap.
    private func finish(_ result: Result<HTTPResponse, Failure>) {
        let waiting: CheckedContinuation<Result<HTTPResponse, Failure>, Never>? = lock.withLock {
            guard outcome == nil else { return nil }
            outcome = result
            defer { continuation = nil }
            return continuation
        }
        waiting?.resume(returning: result)
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        if response.expectedContentLength > Int64(bodyLimit) {
            finish(.failure(.tooLarge))
            completionHandler(.cancel)
            return
        }
        lock.withLock { self.response = response as? HTTPURLResponse }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let overflow = lock.withLock { () -> Bool in
            guard body.count + data.count <= bodyLimit else { return true }
            body.append(data)
            return false
        }
        if overflow {
            finish(.failure(.tooLarge))
            dataTask.cancel()
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        if let error {
            finish(.failure(Self.failure(of: error)))
            return
        }
        let (answer, data) = lock.withLock { (response ?? task.response as? HTTPURLResponse, body) }
        let headers = (answer?.allHeaderFields ?? [:]).reduce(into: [String: String]()) { headers, field in
            if let name = field.key as? String, let value = field.value as? String { headers[name] = value }
        }
        finish(.success(HTTPResponse(status: answer?.statusCode ?? 0, body: data, headers: headers)))
    }

    /// Headers that carry nothing secret; any other a caller sets keeps a redirect at its origin.
    static let plainHeaders: Set<String> = [
        "accept", "accept-encoding", "content-type", "content-length", "user-agent",
    ]

    /// A redirect is followed only where it keeps what the request protects:
    /// never from https to http, with credentials only to the same origin, and
    /// only for a read: a POST sent again after a redirect goes out without its
    /// body (a notification "delivered" empty). Refused, the redirect itself is
    /// the answer the caller sees.
    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void
    ) {
        let from = task.originalRequest?.url
        let to = request.url
        let downgrade = from?.scheme?.lowercased() == "https" && to?.scheme?.lowercased() != "https"
        let sameOrigin = from.map(Self.origin) == to.map(Self.origin)
        let read = ["GET", "HEAD"].contains(task.originalRequest?.httpMethod?.uppercased() ?? "GET")
        completionHandler(!read || downgrade || (credentialed && !sameOrigin) ? nil : request)
    }

    private static func origin(_ url: URL) -> String {
        let scheme = url.scheme?.lowercased() ?? ""
        let port = url.port ?? (scheme == "https" ? 443 : 80)
        return "\(scheme)://\(url.host?.lowercased() ?? ""):\(port)"
    }

    /// What went wrong, in words: Foundation on Linux describes most network errors only by their code
    /// (`NSURLErrorDomain error -1001`), which tells nobody at 3 a.m. what to check.
    static func failure(of error: any Error) -> Failure {
        guard let urlError = error as? URLError else { return .failed(error.localizedDescription) }
        switch urlError.code {
        case .timedOut: return .timedOut
        case .cancelled: return .cancelled
        case .cannotConnectToHost: return .failed("the connection was refused")
        case .cannotFindHost, .dnsLookupFailed: return .failed("the host name could not be resolved")
        case .networkConnectionLost: return .failed("the connection was closed before the answer was complete")
        case .notConnectedToInternet: return .failed("this machine has no network connection")
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
            .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot, .clientCertificateRejected:
            return .failed(
                "the TLS handshake failed (\(urlError.code.rawValue)): check the address and its certificate")
        case .badServerResponse, .cannotParseResponse: return .failed("the answer was not valid HTTP")
        default:
            let text = urlError.localizedDescription
            return .failed(text.contains("NSURLErrorDomain") ? "network error \(urlError.code.rawValue)" : text)
        }
    }
}
