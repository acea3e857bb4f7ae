import Foundation
import ShipctlKit
import XCTest

/// shipctl signs its direct AWS API calls itself; botocore (the aws CLI's own
/// signer) is the reference it must agree with, byte for byte.
final class SigV4Tests: XCTestCase {
    static let botocore = """
        import json, sys
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        given = json.loads(sys.argv[1])
        request = AWSRequest(method=given.get("method", "POST"), url=given["url"], data=given["body"].encode(), headers=given["headers"])
        credentials = Credentials(given["key"], given["secret"], given.get("token"))
        auth = SigV4Auth(credentials, given["service"], given["region"])
        request.context["timestamp"] = given["amz_date"]
        request.headers["X-Amz-Date"] = given["amz_date"]
        if credentials.token:
            request.headers["X-Amz-Security-Token"] = credentials.token
        signature = auth.signature(auth.string_to_sign(request, auth.canonical_request(request)), request)
        signed = auth.signed_headers(auth.headers_to_sign(request))
        print(f"AWS4-HMAC-SHA256 Credential={credentials.access_key}/{auth.credential_scope(request)}, SignedHeaders={signed}, Signature={signature}")
        """

    func testSignaturesAgreeWithBotocore() async throws {
        let date = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z
        let headers = ["Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AmazonSSM.PutParameter"]
        let body =
            #"{"Name":"/micro-app/prod/MODEL_PROVIDER","Overwrite":true,"Type":"String","Value":"small \"llm\" ü"}"#
        for (url, token) in [
            ("http://127.0.0.1:5000/", nil),
            ("https://ssm.eu-west-1.amazonaws.com/", "FwoGZXIvYXdzEXAMPLE//token+with/slashes="),
        ] {
            let credentials = AWSCredentials(
                accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                sessionToken: token)
            let region = url.contains("eu-west-1") ? "eu-west-1" : "us-east-1"
            let ours = SigV4(credentials: credentials, region: region, service: "ssm")
                .sign(
                    method: "POST", url: try XCTUnwrap(URL(string: url)), headers: headers, body: Data(body.utf8),
                    date: date)
            var given: [String: JSONValue] = [
                "url": .string(url), "body": .string(body), "headers": .object(headers.mapValues(JSONValue.string)),
                "key": "AKIDEXAMPLE", "secret": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                "service": "ssm", "region": .string(region), "amz_date": "20150830T123600Z",
            ]
            if let token { given["token"] = .string(token) }
            let result = await SystemProcessRunner().run(
                ProcessRequest(
                    "python3", ["-c", Self.botocore, JSONValue.object(given).canonical],
                    timeout: .seconds(30), retry: .never, mutating: false))
            XCTAssertTrue(result.succeeded, result.stderr)
            XCTAssertEqual(ours["Authorization"], result.stdout.trimmingCharacters(in: .whitespacesAndNewlines), url)
            XCTAssertEqual(ours["X-Amz-Date"], "20150830T123600Z")
            XCTAssertEqual(ours["X-Amz-Security-Token"], token)
        }
    }

    /// A PromQL query to Amazon Managed Service for Prometheus (service `aps`), its query string encoded as
    /// the Prometheus reader encodes it: braces, quotes, brackets and a literal `+`.
    func testAnAPSQueryIsSignedAsBotocoreSignsIt() async throws {
        var components = try XCTUnwrap(
            URLComponents(string: "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-0123/api/v1/query"))
        components.queryItems = [
            URLQueryItem(name: "query", value: #"sum(rate(x{version="2",a!~"b|c"}[1m])) + 1 / 2"#),
            URLQueryItem(name: "time", value: "1440938160.000"),
        ]
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        let url = try XCTUnwrap(components.url)
        let credentials = AWSCredentials(
            accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: nil)
        let ours = SigV4(credentials: credentials, region: "us-east-1", service: "aps")
            .sign(method: "GET", url: url, headers: [:], body: Data(), date: Date(timeIntervalSince1970: 1_440_938_160))
        let given: JSONValue = [
            "method": "GET", "url": .string(url.absoluteString), "body": "", "headers": .object([:]),
            "key": "AKIDEXAMPLE", "secret": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "service": "aps",
            "region": "us-east-1", "amz_date": "20150830T123600Z",
        ]
        let result = await SystemProcessRunner().run(
            ProcessRequest(
                "python3", ["-c", Self.botocore, given.canonical], timeout: .seconds(30), retry: .never, mutating: false
            ))
        XCTAssertTrue(result.succeeded, result.stderr)
        XCTAssertEqual(ours["Authorization"], result.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The Lambda REST calls: a GET with a query string, a PUT with a JSON body.
    func testRESTSignaturesAgreeWithBotocore() async throws {
        let date = Date(timeIntervalSince1970: 1_440_938_160)
        let credentials = AWSCredentials(
            accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
        let calls = [
            ("GET", "http://127.0.0.1:5000/2015-03-31/functions/micro-app_api/configuration?Qualifier=12", ""),
            (
                "PUT", "https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/micro-app-api/aliases/live",
                #"{"FunctionVersion":"1","RoutingConfig":{"AdditionalVersionWeights":{"2":0.1}}}"#
            ),
        ]
        for (method, url, body) in calls {
            let headers = ["Content-Type": "application/json"]
            let ours = SigV4(credentials: credentials, region: "us-east-1", service: "lambda")
                .sign(
                    method: method, url: try XCTUnwrap(URL(string: url)), headers: headers, body: Data(body.utf8),
                    date: date)
            let given: JSONValue = [
                "method": .string(method), "url": .string(url), "body": .string(body),
                "headers": .object(headers.mapValues(JSONValue.string)),
                "key": "AKIDEXAMPLE", "secret": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                "service": "lambda", "region": "us-east-1", "amz_date": "20150830T123600Z",
            ]
            let result = await SystemProcessRunner().run(
                ProcessRequest(
                    "python3", ["-c", Self.botocore, given.canonical],
                    timeout: .seconds(30), retry: .never, mutating: false))
            XCTAssertTrue(result.succeeded, result.stderr)
            XCTAssertEqual(
                ours["Authorization"], result.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "\(method) \(url)"
            )
        }
    }

    func testOnlyEnvironmentCredentialsAreUsedDirectly() {
        XCTAssertNil(
            AWSCredentials.from(environment: [
                "AWS_PROFILE": "dev", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b",
            ]))
        XCTAssertNil(AWSCredentials.from(environment: ["AWS_ACCESS_KEY_ID": "a"]))
        XCTAssertEqual(
            AWSCredentials.from(environment: [
                "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b", "AWS_SESSION_TOKEN": "",
            ]),
            AWSCredentials(accessKeyID: "a", secretAccessKey: "b"))
        XCTAssertEqual(
            AWSCredentials.endpoint(service: "ssm", region: "eu-west-1", environment: [:])?.absoluteString,
            "https://ssm.eu-west-1.amazonaws.com")
        XCTAssertEqual(
            AWSCredentials.endpoint(
                service: "ssm", region: "x", environment: ["AWS_ENDPOINT_URL": "http://127.0.0.1:5000"])?
                .absoluteString, "http://127.0.0.1:5000")
        XCTAssertEqual(
            AWSCredentials.endpoint(
                service: "ssm", region: "x",
                environment: ["AWS_ENDPOINT_URL": "http://a", "AWS_ENDPOINT_URL_SSM": "http://b"])?.absoluteString,
            "http://b")
    }
}
