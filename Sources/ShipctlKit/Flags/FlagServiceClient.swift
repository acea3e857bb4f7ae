import Foundation

/// Requests to a flag service's admin API (Unleash, LaunchDarkly): the token in
/// `Authorization`, rate limits (429) and server errors tried again with
/// backoff (as long as the service's `Retry-After` asks, up to the policy's
/// longest wait), and a refusal explained with what to fix.
struct FlagServiceClient: Sendable {
    /// The service as users call it, for messages.
    let service: String
    let token: String
    let context: EnvironmentContext
    /// Where to look when the service answers 404, e.g. "the project, flag and environment keys".
    let notFoundHint: String
    var timeout: Duration = .seconds(10)

    func send(_ method: String, _ url: URL, headers: [String: String] = [:], body: Data = Data())
        async throws(ShipctlError) -> HTTPResponse
    {
        var headers = headers
        headers["Authorization"] = token
        headers["Accept"] = "application/json"
        let retry = RetryPolicy.standard
        var attempt = 1
        while true {
            let outcome: Result<HTTPResponse, ShipctlError>
            do {
                outcome = .success(
                    try await context.http.send(method, url, headers: headers, body: body, timeout: timeout))
            } catch {
                outcome = .failure(error)
            }
            var wait = retry.delay(beforeAttempt: attempt + 1)
            switch outcome {
            case .success(let response) where (200..<300).contains(response.status):
                return response
            case .success(let response) where response.status == 429 || response.status >= 500:
                if let asked = Self.retryAfter(response) { wait = min(max(wait, asked), retry.maxDelay) }
                guard attempt < retry.maxAttempts else { throw refusal(method, url, response, attempts: attempt) }
            case .success(let response):
                throw refusal(method, url, response, attempts: attempt)
            case .failure(let error):
                guard attempt < retry.maxAttempts, !error.description.contains("timed out") else {
                    throw .runtime(
                        "\(service): \(context.redactor.redact(error.description))",
                        hint: "check that the \(service) URL is right and reachable from here")
                }
            }
            // Not cut short by cancellation: a flip beside a revert must not hammer a throttled service.
            await ShieldedTask.sleep(for: wait)
            attempt += 1
        }
    }

    /// `Retry-After` in seconds, or LaunchDarkly's `X-Ratelimit-Reset` in epoch milliseconds.
    static func retryAfter(_ response: HTTPResponse) -> Duration? {
        if let text = response.headers["retry-after"], let seconds = Int(text.trimmingCharacters(in: .whitespaces)),
            seconds >= 0
        {
            return .seconds(min(seconds, 3600))
        }
        if let text = response.headers["x-ratelimit-reset"],
            let reset = Int64(text.trimmingCharacters(in: .whitespaces))
        {
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let milliseconds = reset > now ? reset - now : 0
            return .milliseconds(min(max(milliseconds, 0), 3_600_000))
        }
        return nil
    }

    private func refusal(_ method: String, _ url: URL, _ response: HTTPResponse, attempts: Int) -> ShipctlError {
        let text = String(decoding: response.body, as: UTF8.self)
        let document = JSONValue.parse(text)
        // Unleash answers {"name", "message", "details"}; LaunchDarkly {"code", "message"}.
        let message = document?["message"]?.stringValue ?? text
        let code = document?["code"]?.stringValue ?? document?["name"]?.stringValue
        let what =
            "\(service) answered \(response.status)\(code.map { " \($0)" } ?? "") to \(method) \(url.path)"
            + (attempts > 1 ? " after \(attempts) attempts" : "")
        let hint: String
        switch response.status {
        case 401:
            hint =
                "the \(service) token was refused: check the `token` of this flag (its environment variable) and that it has not expired"
        case 403:
            hint = "the \(service) token may not change this flag: give it write access to the project and environment"
        case 404: hint = "\(service) does not know it: check \(notFoundHint)"
        case 409: hint = "\(service) refused a conflicting change: look at the flag in \(service) and try again"
        case 300..<400:
            let location =
                response.headers["location"].map {
                    " to \(TerminalText.neutralised(String($0.prefix(200)), keepNewlines: false))"
                } ?? ""
            hint =
                "\(service) redirected\(location); a token is never sent on to another address: set the flag's `url` to the address \(service) really answers on"
        case 429:
            hint =
                "\(service) kept rate-limiting; wait a minute and set it again with `shipctl flags set NAME=VALUE --service S --env E`"
        default: hint = "look at the flag in \(service); set it by hand if this persists"
        }
        return .runtime(
            "\(what): \(AnswerQuote.quote(TerminalText.neutralised(context.redactor.redact(message), keepNewlines: false)))",
            hint: hint)
    }
}
