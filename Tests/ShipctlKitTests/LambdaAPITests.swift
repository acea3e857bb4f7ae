import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// The Lambda provider over the signed API, against a scripted HTTP peer: the
/// requests it sends, what it retries, and that every hostile answer of the
/// corpus is a readable runtime error, never a trap.
final class LambdaAPITests: XCTestCase {
    static let environment = [
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    ]

    static func provider(_ http: ScriptedHTTPClient, runner: RecordingProcessRunner = RecordingProcessRunner([]))
        -> LambdaProvider
    {
        LambdaProvider(
            target: LambdaTarget(function: "micro-app-api", alias: "live"), region: "us-east-1",
            callTimeout: .seconds(5),
            runner: runner, redactor: Redactor(secrets: []), http: http, environment: environment)
    }

    static func answer(_ status: Int, _ body: String, kind: String? = nil) -> HTTPResponse {
        HTTPResponse(
            status: status, body: Data(body.utf8),
            headers: kind.map {
                ["X-Amzn-ErrorType": "\($0):http://internal.amazon.com/coral/com.amazonaws.awslambda/"]
            } ?? [:])
    }

    func testTheAliasIsReadAndMovedWithSignedRESTCallsAndNoCLI() async throws {
        let http = ScriptedHTTPClient { request, _ in
            request.method == "GET"
                ? Self.answer(200, #"{"FunctionVersion":"1","RevisionId":"r1","Name":"live"}"#)
                : Self.answer(
                    200,
                    #"{"FunctionVersion":"1","RoutingConfig":{"AdditionalVersionWeights":{"2":0.1}},"RevisionId":"r2"}"#
                )
        }
        let runner = RecordingProcessRunner([])
        let provider = Self.provider(http, runner: runner)
        let before = try await provider.readSplit()
        XCTAssertEqual(before, TrafficSplit(stable: "1", revision: "r1"))
        let after = try await provider.shift(stable: "1", canary: "2", percent: 10, revision: "r1")
        XCTAssertEqual(after, TrafficSplit(stable: "1", canary: "2", canaryPercent: 10, revision: "r2"))
        let requests = http.requests
        XCTAssertEqual(
            requests.map { "\($0.method) \($0.url.absoluteString)" },
            [
                "GET http://127.0.0.1:9/2015-03-31/functions/micro-app-api/aliases/live",
                "PUT http://127.0.0.1:9/2015-03-31/functions/micro-app-api/aliases/live",
            ])
        XCTAssertEqual(
            JSONValue.parse(requests[1].body),
            [
                "FunctionVersion": "1", "RevisionId": "r1", "RoutingConfig": ["AdditionalVersionWeights": ["2": 0.1]],
            ])
        XCTAssertTrue(
            requests.allSatisfy {
                $0.headers["Authorization"]?.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") == true
            })
        XCTAssertTrue(
            requests.allSatisfy { $0.headers["Authorization"]?.contains("/us-east-1/lambda/aws4_request") == true })
        XCTAssertTrue(runner.completions.isEmpty, "no aws CLI was started")
    }

    func testASmokeInvocationIsOneSignedRequestAndAFunctionErrorFailsIt() async throws {
        let http = ScriptedHTTPClient { request, _ in
            request.url.query == "Qualifier=3"
                ? HTTPResponse(
                    status: 200, body: Data(#"{"errorMessage":"model key rejected","errorType":"AuthError"}"#.utf8),
                    headers: ["X-Amz-Function-Error": "Unhandled"])
                : Self.answer(200, #"{"version": 2}"#)
        }
        let provider = Self.provider(http)
        let good = try await provider.invoke(version: "2", payload: #"{"ping": true}"#, timeout: .seconds(5))
        XCTAssertEqual(good.succeeded, true, good.detail)
        let bad = try await provider.invoke(version: "3", payload: #"{"ping": true}"#, timeout: .seconds(5))
        XCTAssertEqual(bad.succeeded, false)
        XCTAssertEqual(
            bad.detail, #"function error Unhandled: {"errorMessage":"model key rejected","errorType":"AuthError"}"#)
        XCTAssertEqual(
            http.requests.map { "\($0.method) \($0.url.absoluteString) \($0.body)" },
            [
                #"POST http://127.0.0.1:9/2015-03-31/functions/micro-app-api/invocations?Qualifier=2 {"ping": true}"#,
                #"POST http://127.0.0.1:9/2015-03-31/functions/micro-app-api/invocations?Qualifier=3 {"ping": true}"#,
            ])
    }

    func testThrottlingIsRetriedAndAPermanentErrorIsNot() async throws {
        let throttled = ScriptedHTTPClient { _, number in
            number <= 2
                ? Self.answer(429, #"{"Type":"User","message":"Rate exceeded"}"#, kind: "TooManyRequestsException")
                : Self.answer(200, #"{"FunctionVersion":"2","RevisionId":"r3"}"#)
        }
        let split = try await Self.provider(throttled).routeAll(to: "2", revision: nil, urgent: false)
        XCTAssertEqual(split.stable, "2")
        XCTAssertEqual(throttled.requests.count, 3)

        let denied = ScriptedHTTPClient { _, _ in
            Self.answer(
                403,
                #"{"Message":"User: arn:aws:iam::123456789012:user/ci is not authorized to perform: lambda:GetAlias"}"#,
                kind: "AccessDeniedException")
        }
        do {
            _ = try await Self.provider(denied).readSplit()
            XCTFail("AccessDenied must fail")
        } catch {
            XCTAssertTrue(error.description.contains("AccessDeniedException"), error.description)
            XCTAssertTrue(error.description.contains("not authorized to perform: lambda:GetAlias"), error.description)
        }
        XCTAssertEqual(denied.requests.count, 1, "a permanent error is not retried")
    }

    func testAConcurrentChangeAndAMissingVersionSayWhatHappened() async throws {
        let changed = ScriptedHTTPClient { _, _ in
            Self.answer(
                412, #"{"Type":"User","message":"The RevisionId provided does not match the latest RevisionId"}"#,
                kind: "PreconditionFailedException")
        }
        do {
            _ = try await Self.provider(changed).shift(stable: "1", canary: "2", percent: 10, revision: "old")
            XCTFail("a stale RevisionId must fail")
        } catch {
            XCTAssertTrue(error.description.contains("was changed by someone else"), error.description)
        }
        let missing = ScriptedHTTPClient { _, _ in
            Self.answer(404, #"{"__type":"ResourceNotFoundException","message":"Function not found"}"#)
        }
        do {
            _ = try await Self.provider(missing).resolveVersion("9")
            XCTFail("a missing version must fail")
        } catch {
            XCTAssertEqual(
                error.description.split(separator: "\n").first.map(String.init),
                "version 9 of micro-app-api does not exist")
        }
        XCTAssertEqual(
            missing.requests.first?.url.absoluteString,
            "http://127.0.0.1:9/2015-03-31/functions/micro-app-api/configuration?Qualifier=9")
    }

    func testEveryHostileAnswerIsARuntimeErrorThroughTheAPI() async throws {
        for (name, answer) in HostileAnswersCorpus.lambdaAnswers {
            let status = answer.status == 0 ? 200 : 400
            let http = ScriptedHTTPClient { _, _ in Self.answer(status, status == 200 ? answer.stdout : answer.stderr) }
            let provider = Self.provider(http)
            for call in ["read", "shift", "routeAll"] {
                do {
                    switch call {
                    case "read": _ = try await provider.readSplit()
                    case "shift": _ = try await provider.shift(stable: "1", canary: "2", percent: 10, revision: nil)
                    default: _ = try await provider.routeAll(to: "1", revision: nil, urgent: false)
                    }
                    XCTFail("\(name) / \(call): accepted")
                } catch {
                    guard case .runtime = error else {
                        XCTFail("\(name) / \(call): \(error)")
                        continue
                    }
                    XCTAssertLessThan(
                        error.description.count, 5000, "\(name) / \(call): the answer is quoted, not copied whole")
                }
            }
        }
    }
}
