import Foundation
import ShipctlKit
import XCTest

/// Which terraform resource changes would move the traffic of the target being
/// canaried, read from `terraform show -json` entries as the plan writes them.
final class TrafficTakeoverTests: XCTestCase {
    private let lambda = LambdaTarget(function: "micro-app-api", alias: "live")

    private func alias(
        _ actions: [String], name: String = "live", function: String = "micro-app-api",
        after version: JSONValue, unknown: Bool = false
    ) -> TerraformResourceChange {
        TerraformResourceChange(
            address: "aws_lambda_alias.\(name)", type: "aws_lambda_alias", actions: actions,
            before: ["name": .string(name), "function_name": .string(function), "function_version": "1"],
            after: ["name": .string(name), "function_name": .string(function), "function_version": version],
            afterUnknown: unknown ? ["function_version": true] : [:])
    }

    func testAnAliasWhoseVersionChangesOrIsKnownOnlyAfterApplyMovesTraffic() {
        let unknown = TrafficTakeover.find(in: [alias(["update"], after: .null, unknown: true)], for: lambda)
        XCTAssertEqual(
            unknown,
            [
                TrafficTakeover(
                    address: "aws_lambda_alias.live", changed: ["function_version"],
                    trafficAttributes: ["function_version", "routing_config"])
            ])
        XCTAssertEqual(TrafficTakeover.find(in: [alias(["delete", "create"], after: "2")], for: lambda).count, 1)
        XCTAssertEqual(
            unknown.first?.fix,
            "add `lifecycle { ignore_changes = [function_version, routing_config] }` to aws_lambda_alias.live")
    }

    func testUnchangedNewOtherAliasesAndOtherFunctionsDoNot() {
        let unrelated = [
            alias(["update"], after: "1"),  // version kept
            alias(["create"], after: .null, unknown: true),  // a new alias has no traffic yet
            alias(["update"], name: "staging", after: "2"),  // another alias
            alias(["update"], function: "other-function", after: "2"),  // another function
        ]
        XCTAssertEqual(TrafficTakeover.find(in: unrelated, for: lambda), [])
        let arn = alias(
            ["update"], function: "arn:aws:lambda:us-east-1:123456789012:function:micro-app-api", after: "2")
        XCTAssertEqual(TrafficTakeover.find(in: [arn], for: lambda).count, 1)
    }

    func testACloudRunServiceWhoseTrafficBlocksChangeMovesTraffic() {
        let target = CloudRunTarget(service: "api", region: "us-central1", project: nil)
        let before: JSONValue = [
            "name": "api", "traffic": [["percent": 100, "latest_revision": false, "revision_name": "api-00001"]],
        ]
        let after: JSONValue = ["name": "api", "traffic": [["percent": 100, "latest_revision": true]]]
        let change = TerraformResourceChange(
            address: "google_cloud_run_v2_service.api", type: "google_cloud_run_v2_service",
            actions: ["update"], before: before, after: after)
        XCTAssertEqual(
            TrafficTakeover.find(in: [change], for: target).map(\.fix),
            ["add `lifecycle { ignore_changes = [traffic] }` to google_cloud_run_v2_service.api"])
        let kept = TerraformResourceChange(
            address: "google_cloud_run_v2_service.api", type: "google_cloud_run_v2_service",
            actions: ["update"], before: before, after: before)
        XCTAssertEqual(TrafficTakeover.find(in: [kept], for: target), [])
    }
}
