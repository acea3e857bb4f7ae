import Foundation

/// Signed requests to one AWS service's API over HTTPS: a call costs one
/// request instead of an aws CLI start-up (~0.4 s of CPU), which is what lets
/// twenty canaries or a revert beside a flag flip run at full speed on a small
/// CI runner. Throttling, server errors and requests that got no answer are
/// tried again; anything else is handed back at once.
struct AWSAPIClient: Sendable {
    let endpoint: URL
    let signer: SigV4
    let http: any HTTPClient

    /// How shipctl names itself to AWS (`app/shipctl` in the User-Agent, for the API and the aws CLI alike),
    /// so that CloudTrail tells its calls from any other tool's.
    static let appID = "shipctl"

    /// A client when the environment holds credentials the API can be signed with;
    /// nil sends shipctl to the aws CLI, which knows every other credential source.
    static func from(service: String, environment: [String: String], region: String?, http: any HTTPClient)
        -> AWSAPIClient?
    {
        guard let credentials = AWSCredentials.from(environment: environment),
            let region = region ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"],
            let endpoint = AWSCredentials.endpoint(service: service, region: region, environment: environment)
        else { return nil }
        return AWSAPIClient(
            endpoint: endpoint, signer: SigV4(credentials: credentials, region: region, service: service), http: http)
    }

    /// What AWS answered after the retries were spent or not needed.
    struct Answer: Sendable {
        var status: Int
        var body: String
        var attempts: Int
        /// The error code AWS names (`ResourceNotFoundException`), nil on success.
        var errorKind: String?
        var errorMessage: String
        /// Header names in lower case.
        var headers: [String: String] = [:]

        var succeeded: Bool { (200..<300).contains(status) }
    }

    static let transientKinds: Set<String> = [
        "ThrottlingException", "Throttling", "TooManyRequestsException", "TooManyUpdates", "RequestLimitExceeded",
        "InternalServerError", "InternalFailure", "ServiceException", "ServiceUnavailable",
        "ServiceUnavailableException",
    ]

    /// Sends one request, signed afresh for each attempt. Throws only when no
    /// attempt got an answer at all (connection refused, timed out).
    func send(
        _ method: String, path: String, query: String? = nil, headers: [String: String] = [:], body: Data = Data(),
        timeout: Duration, retry: RetryPolicy
    ) async throws(ShipctlError) -> Answer {
        var components = URLComponents(url: endpoint, resolvingAgainstBaseURL: false)
        components?.percentEncodedPath =
            (endpoint.path.hasSuffix("/") ? String(endpoint.path.dropLast()) : endpoint.path) + path
        components?.percentEncodedQuery = query
        guard let url = components?.url else {
            throw .runtime("cannot build an AWS API address from \(endpoint.absoluteString) and \(path)")
        }
        var attempt = 1
        while true {
            var signed = signer.sign(method: method, url: url, headers: headers, body: body, date: Date())
            // Left out of the signature, as the SDKs leave it: a proxy may rewrite it.
            signed["User-Agent"] = "shipctl app/\(Self.appID)"
            let outcome: Result<Answer, ShipctlError>
            do {
                outcome = .success(
                    Self.answer(
                        try await http.sendIgnoringCancellation(
                            method, url, headers: signed, body: body, timeout: timeout),
                        attempts: attempt))
            } catch {
                outcome = .failure(error)
            }
            let transient: Bool
            switch outcome {
            case .success(let answer):
                transient =
                    answer.status >= 500 || answer.status == 429
                    || answer.errorKind.map(Self.transientKinds.contains) == true
            case .failure(let error):
                // Refused or reset never reached AWS; a timeout may have, so only policies that allow it repeat one.
                transient = retry.retryTimeouts || !error.description.contains("timed out")
            }
            guard transient, attempt < retry.maxAttempts else { return try outcome.get() }
            let host = url.host ?? "the API"
            switch outcome {
            case .success(let answer):
                RetryNotice.tell(
                    "\(host) answered \(answer.errorKind ?? "HTTP \(answer.status)")", nextAttempt: attempt + 1,
                    of: retry.maxAttempts)
            case .failure(let error):
                RetryNotice.tell(
                    error.description.contains("timed out")
                        ? "no answer from \(host) within \(DurationParser.format(timeout))"
                        : "\(host) could not be reached (\(AnswerQuote.quote(error.description, limit: 200)))",
                    nextAttempt: attempt + 1, of: retry.maxAttempts)
            }
            // The backoff holds in a cancelled run too: a revert after a signal must not hammer a throttled API.
            let delay = retry.delay(beforeAttempt: attempt + 1)
            await ShieldedTask.sleep(for: delay)
            attempt += 1
        }
    }

    /// The error code and message, wherever this service puts them: the
    /// `x-amzn-ErrorType` header (REST APIs), `__type` (JSON APIs), `code`.
    static func answer(_ response: HTTPResponse, attempts: Int) -> Answer {
        let text = String(decoding: response.body, as: UTF8.self)
        guard !(200..<300).contains(response.status) else {
            return Answer(
                status: response.status, body: text, attempts: attempts, errorKind: nil, errorMessage: "",
                headers: response.headers)
        }
        let document = JSONValue.parse(text)
        let named =
            response.headers["x-amzn-errortype"] ?? document?["__type"]?.stringValue ?? document?["code"]?.stringValue
        let kind =
            named.flatMap { $0.split(separator: ":").first?.split(separator: "#").last.map(String.init) }
            ?? "HTTP \(response.status)"
        let message =
            document?["message"]?.stringValue ?? document?["Message"]?.stringValue ?? String(text.prefix(2000))
        return Answer(
            status: response.status, body: text, attempts: attempts, errorKind: kind, errorMessage: message,
            headers: response.headers)
    }
}
