import Foundation

/// The `{{name}}` placeholders shipctl fills in per deployment inside queries,
/// URLs and commands.
public struct Placeholders: Sendable {
    /// `pr` is filled in for preview environments only.
    /// `version` and `window` are filled in for metrics judged against stable: each version in
    /// turn, and the time since the canary first received traffic.
    public static let known: Set<String> = [
        "canary", "stable", "service", "env", "function", "alias", "pr", "version", "window",
    ]

    public var values: [String: String]

    public init(_ values: [String: String]) {
        self.values = values
    }

    /// The same values with `{{canary}}` standing for `version`: the baseline a ratio gate compares with.
    public func withCanary(_ version: String) -> Placeholders {
        Placeholders(values.merging(["canary": version]) { $1 })
    }

    /// Everything a deployment of `service` to `env` fills in.
    public static func deployment(service: ServiceConfig, env: EnvironmentConfig, canary: String, stable: String)
        -> Placeholders
    {
        let own = [
            "canary": canary, "stable": stable, "service": service.name, "env": env.name, "function": "", "alias": "",
        ]
        return Placeholders(own.merging(service.target.placeholders) { $1 })
    }

    public func fill(_ text: String) -> String {
        guard text.contains("{{") else { return text }
        var result = text
        for (name, value) in values {
            result = result.replacingOccurrences(of: "{{\(name)}}", with: value)
        }
        return result
    }

    /// Names written as `{{name}}` in `text` that shipctl does not know.
    public static func unknownNames(in text: String) -> [String] {
        var unknown: [String] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                // `{{env}` or `{{env`: a placeholder with its closing braces lost.
                unknown.append(String(rest[open.upperBound...].prefix(20)) + " without its closing }}")
                break
            }
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            if !known.contains(name) { unknown.append(name) }
            rest = rest[close.upperBound...]
        }
        return unknown
    }
}
