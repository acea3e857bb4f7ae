import Foundation

/// What a terraform plan would do, summarised for people and for the
/// destroy/replace safety stop.
public struct PlanSummary: Sendable {
    public var adds: [String] = []
    public var changes: [String] = []
    public var destroys: [String] = []
    public var replacements: [String] = []
    /// Every resource the plan changes, for checks beyond the counts (`TrafficTakeover`).
    public var resources: [TerraformResourceChange] = []
    public var planFile: String
    public var hasChanges: Bool

    /// Anything that deletes a resource, alone or as part of a replacement.
    public var isDestructive: Bool { !destroys.isEmpty || !replacements.isEmpty }

    public var headline: String {
        guard hasChanges else { return "no changes" }
        var text =
            "\(adds.count) to add, \(changes.count) to change, \(destroys.count) to destroy, \(replacements.count) to replace"
        if !replacements.isEmpty { text += "; replaced: " + replacements.joined(separator: ", ") }
        if !destroys.isEmpty { text += "; destroyed: " + destroys.joined(separator: ", ") }
        return text
    }

    public var auditArgs: [String: JSONValue] {
        [
            "add": .int(Int64(adds.count)), "change": .int(Int64(changes.count)),
            "destroy": .int(Int64(destroys.count)),
            "replace": .array(replacements.map(JSONValue.string)), "destroyed": .array(destroys.map(JSONValue.string)),
        ]
    }

    /// Reads `terraform show -json PLAN`'s `resource_changes[].change.actions`.
    static func summarise(showJSON: String, planFile: String, hasChanges: Bool) -> PlanSummary? {
        // Named as the wire format names them.
        // swift-format-ignore: AlwaysUseLowerCamelCase
        struct Show: Decodable {
            struct Change: Decodable {
                struct Detail: Decodable {
                    var actions: [String]
                    var before: JSONValue?
                    var after: JSONValue?
                    var after_unknown: JSONValue?
                }
                var address: String
                var type: String?
                var change: Detail
            }
            var resource_changes: [Change]?
        }
        guard let show = try? JSONDecoder().decode(Show.self, from: Data(showJSON.utf8)) else { return nil }
        var summary = PlanSummary(planFile: planFile, hasChanges: hasChanges)
        for change in show.resource_changes ?? [] {
            let actions = change.change.actions
            summary.resources.append(
                TerraformResourceChange(
                    address: change.address, type: change.type ?? "", actions: actions,
                    before: change.change.before, after: change.change.after,
                    afterUnknown: change.change.after_unknown))
            if actions.contains("delete") && actions.contains("create") {
                summary.replacements.append(change.address)
            } else if actions.contains("delete") {
                summary.destroys.append(change.address)
            } else if actions.contains("create") {
                summary.adds.append(change.address)
            } else if actions.contains("update") {
                summary.changes.append(change.address)
            }
        }
        return summary
    }
}
