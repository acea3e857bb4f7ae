import Foundation

/// A LaunchDarkly flag in one environment, changed with a semantic patch
/// (`turnFlagOn` / `turnFlagOff`; with a `variation`, the default rule serves
/// that variation and the flag is on).
public struct LaunchDarklyFlag: FlagTarget {
    public static let kind = "launchdarkly"
    public static let otherKeys = ["enabled", "variation"]
    public static let example =
        "{ launchdarkly: { project: default, flag: NAME, environment: production, token: \"${LD_TOKEN}\" }, enabled: false }"
    static let defaultURL = "https://app.launchdarkly.com"

    public var url: String
    public var project: String
    public var flag: String
    public var environment: String
    var token: String
    /// On or off; ignored when a variation is given.
    public var enabled: Bool
    /// The variation the default rule serves, by its value or name.
    public var variation: String?

    public static func parse(_ entry: ConfigEntry) -> LaunchDarklyFlag? {
        guard
            let settings = entry.settings(
                allowed: ["url", "project", "flag", "environment", "token"],
                required: ["project", "flag", "environment", "token"])
        else { return nil }
        let url = entry.has("url", in: settings) ? entry.url("url", in: settings) : defaultURL
        let project = entry.name("project", in: settings)
        let flag = entry.name("flag", in: settings, placeholders: true)
        let environment = entry.name("environment", in: settings, placeholders: true)
        let token = entry.secret("token", in: settings)
        switch (entry.has("enabled"), entry.has("variation")) {
        case (true, true): entry.report("give `enabled` or `variation`, not both")
        case (false, false): entry.report("a launchdarkly flag needs `enabled: true|false` or `variation: VALUE`")
        default: break
        }
        let enabled = entry.has("enabled") ? entry.bool("enabled") : true
        let variation = entry.string("variation")
        guard let url, let project, let flag, let environment, let token, let enabled,
            entry.has("variation") == (variation != nil)
        else { return nil }
        return LaunchDarklyFlag(
            url: url, project: project, flag: flag, environment: environment, token: token,
            enabled: enabled, variation: variation)
    }

    public var name: String { flag }
    public var value: String { variation ?? (enabled ? "true" : "false") }
    public var details: [String: JSONValue] { ["project": .string(project), "environment": .string(environment)] }

    public func setting(_ value: String) throws(ShipctlError) -> LaunchDarklyFlag {
        var flag = self
        switch value.lowercased() {
        case "true", "on": (flag.enabled, flag.variation) = (true, nil)
        case "false", "off": (flag.enabled, flag.variation) = (false, nil)
        default: (flag.enabled, flag.variation) = (true, value)
        }
        return flag
    }

    public func filled(_ placeholders: Placeholders) -> LaunchDarklyFlag {
        var copy = self
        copy.url = placeholders.fill(url)
        copy.flag = placeholders.fill(flag)
        copy.environment = placeholders.fill(environment)
        copy.variation = variation.map(placeholders.fill)
        return copy
    }

    public var manualInstruction: String {
        let change = variation.map { "serve variation `\($0)` by default" } ?? "turn it \(enabled ? "on" : "off")"
        return "in LaunchDarkly, flag `\(flag)` of project `\(project)`, environment `\(environment)`: \(change)"
    }

    private func client(_ context: EnvironmentContext) -> FlagServiceClient {
        FlagServiceClient(
            service: "LaunchDarkly", token: token, context: context,
            notFoundHint: "`project` (\(project)), `flag` (\(flag)) and `environment` (\(environment))")
    }

    private func address(query: String? = nil) throws(ShipctlError) -> URL {
        let base = url.hasSuffix("/") ? String(url.dropLast()) : url
        let path = ["api", "v2", "flags", project, flag].map(URLPath.segment).joined(separator: "/")
        guard let address = URL(string: base + "/" + path + (query.map { "?" + $0 } ?? "")) else {
            throw .runtime("cannot build a LaunchDarkly address from \(url)")
        }
        return address
    }

    private func fetch(_ context: EnvironmentContext) async throws(ShipctlError) -> JSONValue {
        let answer = try await client(context).send("GET", try address(query: "env=" + URLPath.segment(environment)))
        guard let document = JSONValue.parse(String(decoding: answer.body, as: UTF8.self)) else {
            throw .runtime("LaunchDarkly answered flag `\(flag)` with something that is not JSON")
        }
        return document
    }

    private static func label(_ variation: JSONValue) -> String? {
        variation["value"]?.stringValue ?? variation["name"]?.stringValue
    }

    public func read(_ context: EnvironmentContext) async throws(ShipctlError) -> String? {
        let document = try await fetch(context)
        guard let settings = document["environments"]?[environment] else { return nil }
        guard settings["on"]?.boolValue == true else { return "false" }
        let variations = document["variations"]?.arrayValue ?? []
        // A boolean flag is just on; a multivariate one shows what its default rule serves.
        let boolean = variations.allSatisfy { $0["value"]?.boolValue != nil }
        guard !boolean, let index = Checked.int(settings["fallthrough"]?["variation"], in: 0...Int.max),
            index < variations.count
        else { return "true" }
        return Self.label(variations[index]) ?? "true"
    }

    public func write(_ context: EnvironmentContext) async throws(ShipctlError) {
        var instructions: [JSONValue] = []
        if let variation {
            let variations = try await fetch(context)["variations"]?.arrayValue ?? []
            guard
                let match = variations.first(where: {
                    $0["value"]?.stringValue == variation || $0["name"]?.stringValue == variation
                }),
                let id = match["_id"]?.stringValue
            else {
                let known = variations.compactMap(Self.label).joined(separator: ", ")
                throw .runtime(
                    "LaunchDarkly flag `\(flag)` has no variation `\(variation)`\(known.isEmpty ? "" : "; it has \(known)")"
                )
            }
            instructions = [
                ["kind": "updateFallthroughVariationOrRollout", "variationId": .string(id)], ["kind": "turnFlagOn"],
            ]
        } else {
            instructions = [["kind": .string(enabled ? "turnFlagOn" : "turnFlagOff")]]
        }
        let body = JSONValue.object([
            "environmentKey": .string(environment), "instructions": .array(instructions),
            "comment": "shipctl",
        ])
        _ = try await client(context).send(
            "PATCH", try address(),
            headers: ["Content-Type": "application/json; domain-model=launchdarkly.semanticpatch"],
            body: Data(body.canonical.utf8))
    }
}
