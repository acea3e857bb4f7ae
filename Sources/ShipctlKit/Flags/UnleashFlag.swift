import Foundation

/// A feature toggle in Unleash, switched on or off in one environment through
/// the admin API (`POST …/features/{feature}/environments/{env}/on|off`).
public struct UnleashFlag: FlagTarget {
    public static let kind = "unleash"
    public static let otherKeys = ["enabled"]
    public static let example =
        "{ unleash: { url: URL, project: default, feature: NAME, environment: production, token: \"${UNLEASH_TOKEN}\" }, enabled: false }"

    public var url: String
    public var project: String
    public var feature: String
    public var environment: String
    var token: String
    public var enabled: Bool

    public static func parse(_ entry: ConfigEntry) -> UnleashFlag? {
        guard
            let settings = entry.settings(
                allowed: ["url", "project", "feature", "environment", "token"],
                required: ["url", "feature", "environment", "token"])
        else { return nil }
        let url = entry.url("url", in: settings)
        let project = entry.has("project", in: settings) ? entry.name("project", in: settings) : "default"
        let feature = entry.name("feature", in: settings, placeholders: true)
        let environment = entry.name("environment", in: settings, placeholders: true)
        let token = entry.secret("token", in: settings)
        if !entry.has("enabled") { entry.report("an unleash flag needs `enabled: true` or `enabled: false`") }
        let enabled = entry.bool("enabled")
        guard let url, let project, let feature, let environment, let token, let enabled else { return nil }
        return UnleashFlag(
            url: url, project: project, feature: feature, environment: environment, token: token, enabled: enabled)
    }

    public var name: String { feature }
    public var value: String { enabled ? "true" : "false" }
    public var details: [String: JSONValue] { ["project": .string(project), "environment": .string(environment)] }

    public func setting(_ value: String) throws(ShipctlError) -> UnleashFlag {
        var flag = self
        switch value.lowercased() {
        case "true", "on": flag.enabled = true
        case "false", "off": flag.enabled = false
        default:
            throw .usage(
                "Unleash feature `\(feature)` is switched on or off: give `\(feature)=true` or `\(feature)=false`")
        }
        return flag
    }

    public func filled(_ placeholders: Placeholders) -> UnleashFlag {
        var flag = self
        flag.url = placeholders.fill(url)
        flag.feature = placeholders.fill(feature)
        flag.environment = placeholders.fill(environment)
        return flag
    }

    public var manualInstruction: String {
        "switch Unleash feature `\(feature)` \(enabled ? "on" : "off") in environment `\(environment)` of project `\(project)`"
    }

    private func client(_ context: EnvironmentContext) -> FlagServiceClient {
        FlagServiceClient(
            service: "Unleash", token: token, context: context,
            notFoundHint: "`url`, `project` (\(project)), `feature` (\(feature)) and `environment` (\(environment))")
    }

    private func address(_ path: String) throws(ShipctlError) -> URL {
        let base = url.hasSuffix("/") ? String(url.dropLast()) : url
        let parts =
            ["api", "admin", "projects", project, "features", feature]
            + (path.isEmpty ? [] : path.split(separator: "/").map(String.init))
        guard let address = URL(string: base + "/" + parts.map(URLPath.segment).joined(separator: "/")) else {
            throw .runtime("cannot build an Unleash address from \(url)")
        }
        return address
    }

    public func read(_ context: EnvironmentContext) async throws(ShipctlError) -> String? {
        let answer = try await client(context).send("GET", try address(""))
        let environments =
            JSONValue.parse(String(decoding: answer.body, as: UTF8.self))?["environments"]?.arrayValue ?? []
        guard let entry = environments.first(where: { $0["name"]?.stringValue == environment }) else { return nil }
        return entry["enabled"]?.boolValue.map { $0 ? "true" : "false" }
    }

    public func write(_ context: EnvironmentContext) async throws(ShipctlError) {
        _ = try await client(context).send("POST", try address("environments/\(environment)/\(enabled ? "on" : "off")"))
    }
}
