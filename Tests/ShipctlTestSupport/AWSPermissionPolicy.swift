import Foundation
import ShipctlKit

/// The AWS actions `docs/permissions/aws-iam-policy.json` grants, and which of the calls shipctl made
/// it does not: a user who copies the policy must be able to run every command the tests run.
public struct AWSPermissionPolicy: Sendable {
    /// Each statement's `Sid` with its actions (`lambda:UpdateAlias`), in the file's order.
    public let statements: [(sid: String, actions: [String])]

    public static let path = TestWorld.repositoryRoot.appendingPathComponent("docs/permissions/aws-iam-policy.json")

    public static func load() throws -> AWSPermissionPolicy {
        let text = try String(contentsOf: path, encoding: .utf8)
        guard case .array(let statements)? = JSONValue.parse(text)?["Statement"] else {
            throw TestWorldError("\(path.path) has no Statement list")
        }
        return AWSPermissionPolicy(
            statements: try statements.map { statement in
                guard let sid = statement["Sid"]?.stringValue, statement["Effect"]?.stringValue == "Allow",
                    case .array(let actions)? = statement["Action"]
                else { throw TestWorldError("a statement in \(path.path) is not an Allow with a Sid and Actions") }
                return (sid, actions.compactMap(\.stringValue))
            })
    }

    public var actions: Set<String> { Set(statements.flatMap(\.actions)) }

    /// The policy with `action` taken out of every statement: what a user who trimmed it too far has.
    public func without(_ action: String) -> AWSPermissionPolicy {
        AWSPermissionPolicy(statements: statements.map { ($0.sid, $0.actions.filter { $0 != action }) })
    }

    /// The calls (`service:Action`, as `scripts/testworld/moto_logged.py` logs them) the policy does not
    /// grant, each once, sorted.
    public func unlisted(_ called: [String]) -> [String] {
        Set(called).subtracting(actions).sorted()
    }
}
