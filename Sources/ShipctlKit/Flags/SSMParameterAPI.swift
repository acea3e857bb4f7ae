import Foundation

/// SSM `PutParameter` over HTTPS, signed with SigV4: a flag flip costs one
/// request instead of an aws CLI start-up (~0.4 s of CPU), so it can run beside
/// a revert without slowing it down. The value travels in the request body,
/// never on a command line. Throttling and server errors are retried.
struct SSMParameterAPI: Sendable {
    let endpoint: URL
    let signer: SigV4
    let http: any HTTPClient
    let redactor: Redactor
    var timeout: Duration = .seconds(15)
    var retry: RetryPolicy = .standard

    /// A client when the environment holds credentials the API can be signed with; nil sends shipctl to the aws CLI.
    static func from(environment: [String: String], region: String?, http: any HTTPClient, redactor: Redactor) -> SSMParameterAPI? {
        guard let credentials = AWSCredentials.from(environment: environment),
              let region = region ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"],
              let endpoint = AWSCredentials.endpoint(service: "ssm", region: region, environment: environment) else { return nil }
        return SSMParameterAPI(endpoint: endpoint, signer: SigV4(credentials: credentials, region: region, service: "ssm"), http: http, redactor: redactor)
    }

    func put(name: String, value: String) async throws(ShipctlError) {
        let body = Data(JSONValue.object(["Name": .string(name), "Value": .string(value), "Type": "String", "Overwrite": true]).canonical.utf8)
        var attempt = 1
        while true {
            let headers = signer.sign(method: "POST", url: endpoint,
                                      headers: ["Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AmazonSSM.PutParameter"],
                                      body: body, date: Date())
            let failure: ShipctlError
            let transient: Bool
            do {
                let response = try await http.send("POST", endpoint, headers: headers, body: body, timeout: timeout)
                if (200..<300).contains(response.status) { return }
                let answer = JSONValue.parse(String(decoding: response.body, as: UTF8.self))
                let kind = answer?["__type"]?.stringValue?.split(separator: "#").last.map(String.init) ?? "HTTP \(response.status)"
                let message = answer?["message"]?.stringValue ?? answer?["Message"]?.stringValue ?? String(decoding: response.body.prefix(2000), as: UTF8.self)
                transient = response.status >= 500 || ["ThrottlingException", "TooManyUpdates", "InternalServerError"].contains(kind)
                failure = .runtime("SSM PutParameter of \(name) failed after \(attempt) attempt(s): \(kind): \(AnswerQuote.quote(redactor.redact(message)))",
                                   hint: "set it by hand: `aws ssm put-parameter --name \(name) --type String --overwrite --value VALUE`")
            } catch {
                // The request never got an answer (connection refused or reset, a timeout): worth another try.
                transient = true
                failure = error
            }
            guard transient, attempt < retry.maxAttempts else { throw failure }
            try? await Task.sleep(for: retry.delay(beforeAttempt: attempt + 1))
            attempt += 1
        }
    }
}
