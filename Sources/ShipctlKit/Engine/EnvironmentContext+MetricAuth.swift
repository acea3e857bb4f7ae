import Foundation

extension EnvironmentContext {
    /// GETs `url` from `endpoint`'s backend with the auth the environment gives it, all within `timeout` (a
    /// token command included); a token from a command that is refused is fetched again once (it may have
    /// expired early).
    func metricGet(_ url: URL, endpoint: MetricEndpoint, timeout: Duration) async throws(ShipctlError) -> HTTPResponse {
        guard let auth = metricAuth[endpoint.key] else { return try await http.get(url, timeout: timeout) }
        let end = ContinuousClock.now + timeout
        func get(fresh: Bool) async throws(ShipctlError) -> HTTPResponse {
            // The first token command gets the read's whole deadline (the read has not begun); a second one
            // what is left of it.
            let headers = try await headers(auth, url: url, fresh: fresh, timeout: fresh ? end - .now : timeout)
            let left = end - ContinuousClock.now
            guard left > .zero else {
                throw .runtime("no time was left for the query within \(DurationParser.format(timeout))")
            }
            return try await http.send("GET", url, headers: headers, body: Data(), timeout: left)
        }
        let response = try await get(fresh: false)
        guard case .bearerCommand = auth, response.status == 401 || response.status == 403 else { return response }
        return try await get(fresh: true)
    }

    private func headers(_ auth: MetricEndpointAuth, url: URL, fresh: Bool, timeout: Duration)
        async throws(ShipctlError)
        -> [String: String]
    {
        switch auth {
        case .basic(let user, let password):
            return ["Authorization": "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()]
        case .bearer(let token):
            return ["Authorization": "Bearer \(token)"]
        case .bearerCommand(let command):
            switch await tokens.token(command, fresh: fresh, deadline: timeout, context: self) {
            case .success(let token): return ["Authorization": "Bearer \(token)"]
            case .failure(let problem): throw .runtime(problem.message)
            }
        case .sigv4(let region, let service):
            guard let credentials = AWSCredentials.from(environment: environment) else {
                throw .runtime(
                    "SigV4 auth for \(url.host ?? "the metrics backend") needs AWS credentials in the environment "
                        + "(AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, and AWS_SESSION_TOKEN for a role's)")
            }
            guard let region = region ?? self.region else {
                throw .runtime("SigV4 auth needs a region: give `sigv4: { region: … }` or the environment's `region:`")
            }
            return SigV4(credentials: credentials, region: region, service: service).sign(
                method: "GET", url: url, headers: [:], body: Data(), date: Date())
        }
    }
}
