import ShipctlTestSupport
import XCTest

/// docs/permissions/aws-iam-policy.json is the policy users copy; every test world checks shipctl's
/// AWS calls against it when it stops. These pin its shape and the check itself.
final class PermissionPolicyTests: XCTestCase {
    func testThePolicyGroupsItsActionsByCommand() throws {
        let policy = try AWSPermissionPolicy.load()
        XCTAssertEqual(
            policy.statements.map(\.sid),
            ["Promote", "Rollback", "Metrics", "Flags", "Preview", "PreviewDiscovery", "Doctor"])
        XCTAssertEqual(
            policy.statements.first { $0.sid == "Rollback" }?.actions, ["lambda:GetAlias", "lambda:UpdateAlias"],
            "rolling back needs only the alias")
        for action in policy.actions {
            XCTAssertNotNil(
                action.range(of: #"^[a-z]+:[A-Z][A-Za-z]+$"#, options: .regularExpression),
                "\(action) is not an IAM action name")
        }
    }

    func testACallThePolicyDoesNotGrantIsReported() throws {
        let policy = try AWSPermissionPolicy.load()
        let log = [
            "lambda:GetAlias", "lambda:UpdateAlias", "lambda:DeleteFunction", "UNKNOWN(GET /x)", "lambda:GetAlias",
            "sts:GetCallerIdentity",
        ]
        XCTAssertEqual(policy.unlisted(log), ["UNKNOWN(GET /x)", "lambda:DeleteFunction"])
        XCTAssertEqual(policy.unlisted([]), [])
    }
}
