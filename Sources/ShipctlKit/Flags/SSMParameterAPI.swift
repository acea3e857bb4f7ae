import Foundation

/// SSM `PutParameter` over the signed API: one request, so a flag flip can run
/// beside a revert without slowing it down. The value travels in the request
/// body, never on a command line.
struct SSMParameterAPI: Sendable {
    let client: AWSAPIClient
    let redactor: Redactor
    var timeout: Duration = .seconds(15)

    /// A client when the environment holds credentials the API can be signed with; nil sends shipctl to the aws CLI.
    static func from(environment: [String: String], region: String?, http: any HTTPClient, redactor: Redactor) -> SSMParameterAPI? {
        AWSAPIClient.from(service: "ssm", environment: environment, region: region, http: http).map { SSMParameterAPI(client: $0, redactor: redactor) }
    }

    func put(name: String, value: String) async throws(ShipctlError) {
        let body = Data(JSONValue.object(["Name": .string(name), "Value": .string(value), "Type": "String", "Overwrite": true]).canonical.utf8)
        let answer = try await client.send("POST", path: "/", headers: ["Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AmazonSSM.PutParameter"],
                                           body: body, timeout: timeout, retry: .standard)
        guard answer.succeeded else {
            throw .runtime("SSM PutParameter of \(name) failed after \(answer.attempts) attempt(s): \(answer.errorKind ?? "error"): \(AnswerQuote.quote(redactor.redact(answer.errorMessage)))",
                           hint: "set it by hand: `aws ssm put-parameter --name \(name) --type String --overwrite --value VALUE`")
        }
    }
}
