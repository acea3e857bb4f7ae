import Foundation

/// A terraform plan that would move the traffic of the target shipctl is about
/// to canary (an alias whose version follows the function, a Cloud Run
/// service's `traffic` blocks): applied, it would send everyone to the new
/// version at once, and the canary would find nothing left to do.
public struct TrafficTakeover: Sendable, Equatable {
    /// The resource, e.g. `aws_lambda_alias.live`.
    public var address: String
    /// The attributes the plan changes.
    public var changed: [String]
    /// Every attribute that moves this target's traffic: what `ignore_changes` must name.
    public var trafficAttributes: [String]

    public init(address: String, changed: [String], trafficAttributes: [String]) {
        self.address = address
        self.changed = changed
        self.trafficAttributes = trafficAttributes
    }

    /// The resource, what it changes, and why that matters.
    public var problem: String {
        "terraform would move traffic itself: \(address) changes \(changed.joined(separator: " and ")), which would send all "
            + "traffic to the new version at once and skip the canary"
    }

    /// What to add to the resource so that its traffic belongs to shipctl.
    public var fix: String {
        "add `lifecycle { ignore_changes = [\(trafficAttributes.joined(separator: ", "))] }` to \(address)"
    }

    public var json: JSONValue {
        ["resource": .string(address), "changes": .array(changed.map(JSONValue.string)), "fix": .string(fix)]
    }

    /// The takeovers of `target` in a plan's resource changes.
    public static func find(in resources: [TerraformResourceChange], for target: any ProviderTarget)
        -> [TrafficTakeover]
    {
        resources.filter(\.changesExisting).compactMap(target.trafficTakeover)
    }
}
