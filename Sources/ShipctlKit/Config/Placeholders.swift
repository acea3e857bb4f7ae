import Foundation

/// The `{{name}}` placeholders shipctl fills in per deployment inside queries,
/// URLs and commands.
public struct Placeholders: Sendable {
    /// `pr` is filled in for preview environments only.
    public static let known: Set<String> = ["canary", "stable", "service", "env", "function", "alias", "pr"]

    public var values: [String: String]

    public init(_ values: [String: String]) {
        self.values = values
    }

    /// Everything a deployment of `service` to `env` fills in.
    public static func deployment(service: ServiceConfig, env: EnvironmentConfig, canary: String, stable: String) -> Placeholders {
        Placeholders(["canary": canary, "stable": stable, "service": service.name, "env": env.name,
                      "function": service.lambda?.function ?? service.cloudrun?.service ?? "", "alias": service.lambda?.alias ?? ""])
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

/// Expands `${NAME}` and `${NAME:-default}` from the process environment.
public struct EnvironmentInterpolator: Sendable {
    public enum Failure: Error, Equatable {
        case unset(String)
        case malformed
    }

    public var environment: [String: String]

    public init(environment: [String: String]) {
        self.environment = environment
    }

    /// Names whose values are treated as secrets wherever they end up.
    public static func isSecretName(_ name: String) -> Bool {
        let upper = name.uppercased()
        return ["TOKEN", "KEY", "SECRET", "PASSWORD"].contains { upper.contains($0) }
    }

    /// Returns the expanded text and the secret values it took in.
    public func expand(_ text: String) throws(Failure) -> (text: String, secrets: [String]) {
        guard text.contains("${") else { return (text, []) }
        var output = ""
        var secrets: [String] = []
        var rest = Substring(text)
        while let open = rest.range(of: "${") {
            output += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else { throw .malformed }
            let inner = rest[open.upperBound..<close]
            let name: Substring
            let fallback: Substring?
            if let sep = inner.range(of: ":-") {
                name = inner[..<sep.lowerBound]
                fallback = inner[sep.upperBound...]
            } else {
                name = inner
                fallback = nil
            }
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw .malformed
            }
            let value: String
            if let set = environment[String(name)] {
                value = set
            } else if let fallback {
                value = String(fallback)
            } else {
                throw .unset(String(name))
            }
            if Self.isSecretName(String(name)), !value.isEmpty { secrets.append(value) }
            output += value
            rest = rest[rest.index(after: close)...]
        }
        output += rest
        return (output, secrets)
    }
}
