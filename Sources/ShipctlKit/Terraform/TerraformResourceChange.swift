import Foundation

/// One entry of `terraform show -json PLAN`'s `resource_changes`: the resource,
/// what the plan does to it, and its attributes before and after.
public struct TerraformResourceChange: Sendable {
    public var address: String
    public var type: String
    public var actions: [String]
    public var before: JSONValue?
    public var after: JSONValue?
    /// Attributes terraform will only know after the apply, marked `true`.
    public var afterUnknown: JSONValue?

    public init(
        address: String, type: String, actions: [String], before: JSONValue? = nil, after: JSONValue? = nil,
        afterUnknown: JSONValue? = nil
    ) {
        self.address = address
        self.type = type
        self.actions = actions
        self.before = before
        self.after = after
        self.afterUnknown = afterUnknown
    }

    /// An existing resource changed in place or replaced (a created one had no traffic to move).
    public var changesExisting: Bool {
        actions.contains("update") || (actions.contains("delete") && actions.contains("create"))
    }

    /// Whether the plan gives `attribute` a new value, or one known only after the apply.
    public func changes(_ attribute: String) -> Bool {
        if afterUnknown?[attribute] == .bool(true) { return true }
        return before?[attribute] != after?[attribute]
    }

    /// A top-level attribute's value after the plan, when it is text.
    public func afterText(_ attribute: String) -> String? {
        after?[attribute]?.stringValue
    }
}
