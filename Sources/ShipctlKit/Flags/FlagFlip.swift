import Foundation

/// A feature-flag change shipctl makes when a canary fails or on `flags set`.
public struct FlagFlip: Sendable {
    public let target: any FlagTarget

    public init(_ target: any FlagTarget) {
        self.target = target
    }

    public var kind: String { type(of: target).kind }
    public var name: String { target.name }
    public var value: String { target.value }
    public var displayName: String { "\(kind) \(name)=\(value)" }
    public var manualInstruction: String { target.manualInstruction }

    /// The flip with `{{env}}`, `{{service}}` and friends filled in.
    public func filled(_ placeholders: Placeholders) -> FlagFlip {
        FlagFlip(target.filled(placeholders))
    }

    public func setting(_ value: String) throws(ShipctlError) -> FlagFlip {
        FlagFlip(try target.setting(value))
    }

    public var auditArgs: [String: JSONValue] {
        target.details.merging(["store": .string(kind), "flag": .string(name), "value": .string(value)]) { $1 }
    }
}
