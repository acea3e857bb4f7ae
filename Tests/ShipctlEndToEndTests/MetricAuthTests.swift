import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// A Prometheus behind auth, as hosted ones are: the world's real Prometheus behind
/// `scripts/testworld/auth_proxy.py`, which passes only the expected Authorization header.
/// Basic auth and a token from a command reach it; a wrong token is refused and never shown.
final class MetricAuthTests: WorldTestCase {
    static let token = "grafana-token-7c41e9a2"

    func config(function: String, prometheus: String) throws -> String {
        try world.writeConfig(
            """
            version: 1
            state: { dir: "${SHIPCTL_STATE_DIR}" }
            environments:
              prod:
                region: us-east-1
                prometheus: \(prometheus)
            services:
              api:
                provider: lambda
                lambda: { function: \(function), alias: live }
                strategy: { steps: [ { weight: 50, pause: 3s }, { weight: 100 } ] }
                analysis:
                  interval: 1s
                  failure_limit: 1
                  inconclusive_limit: 1
                  metrics:
                    - name: error-rate
                      prometheus: sum(rate(llm_requests_total{function="{{function}}",version="{{canary}}",status="error"}[30s])) / sum(rate(llm_requests_total{function="{{function}}",version="{{canary}}"}[30s]))
                      max: 0.02
            """)
    }

    func seen(_ proxy: String) async throws -> [String?] {
        let answer = await SystemProcessRunner().run(
            ProcessRequest(
                "curl", ["-sf", "\(proxy)/fake/requests"], timeout: .seconds(10), retry: .never, mutating: false))
        guard case .array(let headers)? = JSONValue.parse(answer.stdout) else {
            throw TestWorldError("the proxy did not list its requests: \(answer.stderr)")
        }
        return headers.map(\.stringValue)
    }

    func testBasicAuthAndACommandsTokenReachPrometheusAndAWrongTokenIsRefusedUnseen() async throws {
        try await world.createFunctions(["auth-basic", "auth-command", "auth-wrong"], versions: 2)
        world.environment["GRAFANA_TOKEN"] = Self.token
        world.environment["WRONG_TOKEN"] = "not-the-token-0b9d"
        let promote = ["promote", "--service", "api", "--env", "prod", "--version", "2"]

        let basic = "Basic " + Data("123456:\(Self.token)".utf8).base64EncodedString()
        let basicProxy = try await world.startAuthProxy(authorization: basic)
        let basicRun = await world.shipctl(
            promote,
            config: try config(
                function: "auth-basic",
                prometheus:
                    "{ url: \"\(basicProxy)\", auth: { basic: { user: \"123456\", password: \"${GRAFANA_TOKEN}\" } } }")
        )
        XCTAssertEqual(basicRun.status, 0, basicRun.output)
        let basicSeen = try await seen(basicProxy)
        XCTAssertFalse(basicSeen.isEmpty)
        XCTAssertTrue(basicSeen.allSatisfy { $0 == basic }, "\(basicSeen)")

        let bearerProxy = try await world.startAuthProxy(authorization: "Bearer \(Self.token)")
        let commandRun = await world.shipctl(
            promote,
            config: try config(
                function: "auth-command",
                prometheus: "{ url: \"\(bearerProxy)\", auth: { bearer_command: [printenv, GRAFANA_TOKEN] } }"))
        XCTAssertEqual(commandRun.status, 0, commandRun.output)

        let wrongRun = await world.shipctl(
            promote,
            config: try config(
                function: "auth-wrong", prometheus: "{ url: \"\(bearerProxy)\", auth: { bearer: \"${WRONG_TOKEN}\" } }")
        )
        XCTAssertEqual(wrongRun.status, 3, "no answer means no pass: \(wrongRun.output)")
        XCTAssertTrue(wrongRun.output.contains("refused the query (HTTP 401)"), wrongRun.output)
        for run in [basicRun, commandRun, wrongRun] {
            XCTAssertFalse(run.output.contains(Self.token), run.output)
            XCTAssertFalse(run.output.contains("not-the-token-0b9d"), run.output)
        }
        let log = try String(contentsOfFile: world.auditLogPath, encoding: .utf8)
        XCTAssertFalse(log.contains(Self.token) || log.contains("not-the-token-0b9d"))
    }
}
