import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// An SSM flag read and written over the signed API when the environment holds
/// credentials, against a scripted HTTP peer: one request each, no aws CLI, a
/// missing parameter read as unset, and a refusal reported with what to run.
final class SSMFlagAPITests: XCTestCase {
    private let yaml = SampleConfig.withFlags(
        """
                - { ssm: "/micro-app/{{env}}/MODEL_PROVIDER", value: small-llm }
        """)

    private static func answer(_ status: Int, _ body: String) -> HTTPResponse {
        HTTPResponse(status: status, body: Data(body.utf8))
    }

    private func flagStore(_ http: ScriptedHTTPClient, runner: RecordingProcessRunner) throws -> (
        any FlagStore, FlagFlip
    ) {
        let config = try ConfigLoader(environment: [:]).parse(yaml: yaml, path: "shipctl.yaml")
        let service = try XCTUnwrap(config.service(named: "api"))
        let prod = try XCTUnwrap(config.environments["prod"])
        let dependencies = Dependencies(
            runner: runner, http: http, store: InMemoryStateStore(),
            reporter: Reporter(mode: .human, redactor: Redactor(secrets: []), out: { _ in }, err: { _ in }),
            environment: LambdaAPITests.environment)
        let flip = try XCTUnwrap(
            ManualFlags(config: config, service: service, env: prod, dependencies: dependencies).configured.first)
        return (ServiceParts.flagStore(config: config, env: prod, dependencies: dependencies), flip)
    }

    func testAFlagIsReadAndWrittenWithOneSignedRequestEachAndNoCLI() async throws {
        let http = ScriptedHTTPClient { request, number in
            switch (request.headers["X-Amz-Target"], number) {
            case ("AmazonSSM.GetParameter", 1):
                return Self.answer(
                    200, #"{"Parameter":{"Name":"/micro-app/prod/MODEL_PROVIDER","Value":"big-llm","Version":3}}"#)
            case ("AmazonSSM.GetParameter", _):
                return Self.answer(400, #"{"__type":"ParameterNotFound","message":""}"#)
            default:
                return Self.answer(200, #"{"Version":4,"Tier":"Standard"}"#)
            }
        }
        let runner = RecordingProcessRunner([])
        let (store, flip) = try flagStore(http, runner: runner)
        let before = try await store.read(flip)
        try await store.set(flip)
        let missing = try await store.read(flip)
        XCTAssertEqual(before, "big-llm")
        XCTAssertNil(missing, "a parameter that does not exist is an unset flag, not an error")
        XCTAssertEqual(runner.calls.count, 0, "no aws CLI")
        let requests = http.requests
        XCTAssertEqual(
            requests.map { $0.headers["X-Amz-Target"] },
            ["AmazonSSM.GetParameter", "AmazonSSM.PutParameter", "AmazonSSM.GetParameter"])
        XCTAssertEqual(JSONValue.parse(requests[0].body), ["Name": "/micro-app/prod/MODEL_PROVIDER"])
        XCTAssertEqual(
            JSONValue.parse(requests[1].body),
            ["Name": "/micro-app/prod/MODEL_PROVIDER", "Value": "small-llm", "Type": "String", "Overwrite": true])
        XCTAssertTrue(
            requests.allSatisfy { $0.headers["Authorization"]?.contains("/us-east-1/ssm/aws4_request") == true })
    }

    func testARefusedReadNamesTheErrorAndHowToReadItByHand() async throws {
        let http = ScriptedHTTPClient { _, _ in
            Self.answer(
                400,
                #"{"__type":"AccessDeniedException","message":"User is not authorized to perform ssm:GetParameter"}"#)
        }
        let (store, flip) = try flagStore(http, runner: RecordingProcessRunner([]))
        do {
            _ = try await store.read(flip)
            XCTFail("a refused read must not look like an unset flag")
        } catch {
            guard case .runtime(let message, let hint) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(
                message,
                "SSM GetParameter of /micro-app/prod/MODEL_PROVIDER failed after 1 attempt(s): AccessDeniedException: User is not authorized to perform ssm:GetParameter"
            )
            XCTAssertEqual(hint, "read it by hand: `aws ssm get-parameter --name /micro-app/prod/MODEL_PROVIDER`")
        }
        XCTAssertEqual(http.requests.count, 1, "access denied is not retried")
    }
}
