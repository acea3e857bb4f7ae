import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// Acceptance 4: `promote` applies the repository's `infra/` with real terraform
/// and the AWS provider from the local mirror against moto, then promotes the
/// version terraform's output names.
final class TerraformPromoteTests: XCTestCase {
    func testPromoteAppliesInfraAndPromotesTheVersionTerraformPublished() async throws {
        let world = try await TestWorld(prometheus: false)
        addTeardownBlock { await world.shutdown() }
        let infra = try world.copyOfInfra()
        let config = try world.writeConfig(
            SampleConfig.inWorld(
                services: """
                      api:
                        provider: lambda
                        lambda: { function: micro-app-api, alias: live }
                        terraform:
                          dir: \(infra.path)
                          vars: { git_sha: "${GIT_SHA:-dev}", aws_endpoint: "${AWS_ENDPOINT_URL:-}", env: "{{env}}" }
                          version_output: function_version
                        strategy:
                          steps:
                            - { weight: 50, pause: 1s }
                            - { weight: 100 }
                        smoke:
                          - { name: invoke, invoke: { payload: '{"ping": true}' } }
                    """, prometheus: false))

        world.environment["GIT_SHA"] = "first"
        let first = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod"], config: config, timeout: .seconds(300))
        XCTAssertEqual(first.status, 0, first.output)
        XCTAssertTrue(first.stdout.contains("4 to add"), first.stdout)
        let created = try await world.alias("micro-app-api")
        XCTAssertEqual(created.version, "1")

        world.environment["GIT_SHA"] = "second"
        let second = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod"], config: config, timeout: .seconds(300))
        XCTAssertEqual(second.status, 0, second.output)
        XCTAssertTrue(second.stdout.contains("from version 1 to 2"), second.stdout)
        let alias = try await world.alias("micro-app-api")
        XCTAssertEqual(alias.version, "2")
        XCTAssertTrue(alias.weights.isEmpty)
        let audit = try String(contentsOfFile: world.auditLogPath, encoding: .utf8)
        XCTAssertTrue(audit.contains("\"action\":\"terraform.apply\""))
        let verify = await world.shipctl(["audit", "verify"], config: config)
        XCTAssertEqual(verify.status, 0, verify.output)
    }
}
