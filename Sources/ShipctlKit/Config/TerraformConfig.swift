import Foundation

public struct TerraformConfig: Sendable {
    public var dir: String
    public var vars: [(name: String, value: String)]
    public var versionOutput: String?
}
