import Foundation

/// An output of `terraform output -json`.
public struct TerraformOutput: Sendable {
    public var value: JSONValue
    public var sensitive: Bool
}
