import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// `prometheus: { url, auth }`: what loads, what each mistake says, and the header each kind of auth sends.
final class MetricAuthConfigTests: XCTestCase {
    static func yaml(_ prometheus: String) -> String {
        SampleConfig.valid.replacingOccurrences(
            of: "prod: { region: us-east-1, prometheus: http://127.0.0.1:9090 }",
            with: "prod:\n    region: us-east-1\n    prometheus: \(prometheus)")
    }

    func load(_ prometheus: String, env: [String: String] = [:]) throws(ShipctlError) -> ShipctlConfig {
        try ConfigLoader(environment: env).parse(yaml: Self.yaml(prometheus), path: "shipctl.yaml")
    }

    func testEachKindOfAuthLoadsAndItsSecretsAreMasked() throws {
        let amp = try load(
            "{ url: \"https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-0123/\", auth: { sigv4: { region: us-east-1 } } }"
        )
        XCTAssertEqual(amp.environments["prod"]?.metricAuth["prometheus"], .sigv4(region: "us-east-1", service: "aps"))
        XCTAssertEqual(
            amp.environments["prod"]?.metricEndpoints["prometheus"],
            "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-0123/")
        let google = try load(
            "{ url: \"https://monitoring.googleapis.com/v1/projects/p/location/global/prometheus\", auth: { bearer_command: [gcloud, auth, print-access-token] } }"
        )
        XCTAssertEqual(
            google.environments["prod"]?.metricAuth["prometheus"],
            .bearerCommand(["gcloud", "auth", "print-access-token"]))
        let grafana = try load(
            "{ url: \"https://prometheus-prod-01.grafana.net/api/prom\", auth: { basic: { user: \"123456\", password: \"${GRAFANA}\" } } }",
            env: ["GRAFANA": "glc_secret_value_1"])
        XCTAssertEqual(
            grafana.environments["prod"]?.metricAuth["prometheus"],
            .basic(user: "123456", password: "glc_secret_value_1"))
        XCTAssertTrue(grafana.secrets.contains("glc_secret_value_1"), "a password is a secret whatever its variable")
        let plain = try load("http://127.0.0.1:9090")
        XCTAssertNil(plain.environments["prod"]?.metricAuth["prometheus"])
    }

    func testEachMistakeNamesItsKey() {
        let cases: [(String, String)] = [
            ("{ auth: { bearer: \"a-long-token\" } }", "environments.prod.prometheus"),
            (
                "{ url: \"https://p.example.com\", auth: { bearer: \"a-long-token\", basic: { user: u, password: p12345 } } }",
                "give one of:"
            ),
            ("{ url: \"https://p.example.com\", auth: { bearer: \"abc\" } }", "shorter than"),
            ("{ url: \"https://p.example.com\", auth: { bearer_command: [] } }", "give the program and its arguments"),
            ("{ url: \"https://p.example.com\", auth: { oauth: x } }", "oauth"),
            ("{ url: \"https://p.example.com\", auth: { basic: { user: u } } }", "password"),
        ]
        for (entry, expected) in cases {
            XCTAssertThrowsError(try load(entry), entry) { error in
                XCTAssertTrue(
                    "\(error)".contains(expected) && "\(error)".contains("shipctl.yaml:"), "\(entry): \(error)")
            }
        }
    }

    /// The header each kind sends with a query, and a command's token fetched once for several queries.
    func testEachKindSendsItsAuthorizationHeader() async throws {
        let http = ScriptedHTTPClient { _, _ in
            HTTPResponse(
                status: 200,
                body: Data(
                    #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"0.5"]}]}}"#
                        .utf8))
        }
        func context(_ auth: MetricEndpointAuth) -> EnvironmentContext {
            var context = EnvironmentContext(
                runner: SystemProcessRunner(), http: http, awsAPI: nil, redactor: Redactor(secrets: []),
                region: "us-east-1",
                environment: ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret-key-1"])
            context.metricEndpoints = ["prometheus": "https://prom.example.com/api/prom/"]
            context.metricAuth = ["prometheus": auth]
            return context
        }
        let query = PrometheusQuery(text: "up")
        let kinds: [MetricEndpointAuth] = [
            .basic(user: "u", password: "p4ssword"), .bearer("tok-1234"),
            .bearerCommand(["printf", "tok-from-command"]),
            .sigv4(region: nil, service: "aps"),
        ]
        for auth in kinds {
            let shared = context(auth)
            for _ in 0..<2 {
                let reading = await query.read(shared)
                XCTAssertEqual(reading, .value(0.5), "\(auth)")
            }
        }
        let headers = http.requests.map { $0.headers["Authorization"] ?? "" }
        XCTAssertEqual(headers.count, 8)
        XCTAssertEqual(headers[0], "Basic dTpwNHNzd29yZA==")
        XCTAssertEqual(headers[2], "Bearer tok-1234")
        XCTAssertEqual(headers[4], "Bearer tok-from-command")
        XCTAssertEqual(headers[5], "Bearer tok-from-command")
        XCTAssertTrue(headers[6].hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"), headers[6])
        XCTAssertTrue(headers[6].contains("/us-east-1/aps/aws4_request"), "the environment's region, service aps")
        XCTAssertEqual(
            http.requests.first?.url.absoluteString, "https://prom.example.com/api/prom/api/v1/query?query=up")
    }
}
