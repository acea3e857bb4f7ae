import Foundation

/// SSM `PutParameter` and `GetParameter` over the signed API: one request, so a
/// flag flip can run beside a revert without slowing it down. The value travels
/// in the request body, never on a command line.
struct SSMParameterAPI: Sendable {
    let client: AWSAPIClient
    let redactor: Redactor
    var timeout: Duration = .seconds(15)

    /// A client when the environment holds credentials the API can be signed with; nil sends shipctl to the aws CLI.
    static func from(environment: [String: String], region: String?, http: any HTTPClient, redactor: Redactor)
        -> SSMParameterAPI?
    {
        AWSAPIClient.from(service: "ssm", environment: environment, region: region, http: http).map {
            SSMParameterAPI(client: $0, redactor: redactor)
        }
    }

    func put(name: String, value: String) async throws(ShipctlError) {
        let answer = try await call(
            "PutParameter", ["Name": .string(name), "Value": .string(value), "Type": "String", "Overwrite": true])
        guard answer.succeeded else {
            throw refusal(
                "PutParameter", name, answer,
                hint: "set it by hand: `aws ssm put-parameter --name \(name) --type String --overwrite --value VALUE`")
        }
    }

    /// The parameter's value, or nil when it does not exist.
    func get(name: String) async throws(ShipctlError) -> String? {
        let answer = try await call("GetParameter", ["Name": .string(name)])
        if answer.errorKind == "ParameterNotFound" { return nil }
        guard answer.succeeded else {
            throw refusal("GetParameter", name, answer, hint: "read it by hand: `aws ssm get-parameter --name \(name)`")
        }
        guard let value = JSONValue.parse(answer.body)?["Parameter"]?["Value"]?.stringValue else {
            throw .runtime(
                "SSM GetParameter of \(name) answered without Parameter.Value: \(redactor.quote(answer.body))"
            )
        }
        return value
    }

    private func refusal(_ action: String, _ name: String, _ answer: AWSAPIClient.Answer, hint: String) -> ShipctlError
    {
        .runtime(
            "SSM \(action) of \(name) failed after \(answer.attempts) attempt(s): \(answer.errorKind ?? "error"): \(redactor.quote(answer.errorMessage))",
            hint: hint)
    }

    private func call(_ action: String, _ input: [String: JSONValue]) async throws(ShipctlError) -> AWSAPIClient.Answer
    {
        try await client.send(
            "POST", path: "/",
            headers: ["Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AmazonSSM.\(action)"],
            body: Data(JSONValue.object(input).canonical.utf8), timeout: timeout, retry: .standard)
    }
}
