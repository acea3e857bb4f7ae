import Foundation

/// Expands `${NAME}` and `${NAME:-default}` from the process environment; a
/// default may itself hold `${...}` (`${A:-${B:-x}}`), a few levels deep.
public struct EnvironmentInterpolator: Sendable {
    public enum Failure: Error, Equatable {
        case unset(String)
        case malformed
        /// A secret too short to be masked reliably in output.
        case shortSecret(String)
        case nestedTooDeep
    }

    /// Shorter secret values cannot be told apart from ordinary words, so they are refused rather than printed.
    public static let minimumSecretLength = 4
    static let maximumNesting = 4

    public var environment: [String: String]

    public init(environment: [String: String]) {
        self.environment = environment
    }

    /// Names whose values are treated as secrets wherever they end up.
    public static func isSecretName(_ name: String) -> Bool {
        let upper = name.uppercased()
        return ["TOKEN", "KEY", "SECRET", "PASSWORD"].contains { upper.contains($0) }
    }

    /// Returns the expanded text and the secret values it took in (for a secret
    /// variable also its written default, which is a secret in the file too).
    public func expand(_ text: String) throws(Failure) -> (text: String, secrets: [String]) {
        try expand(Substring(text), depth: 0)
    }

    private func expand(_ text: Substring, depth: Int) throws(Failure) -> (text: String, secrets: [String]) {
        guard text.contains("${") else { return (String(text), []) }
        guard depth <= Self.maximumNesting else { throw .nestedTooDeep }
        var output = ""
        var secrets: [String] = []
        var rest = text
        while let open = rest.range(of: "${") {
            output += rest[..<open.lowerBound]
            guard let close = Self.matchingBrace(in: rest[open.upperBound...]) else { throw .malformed }
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
            let expandedFallback = try fallback.map { written throws(Failure) in try expand(written, depth: depth + 1) }
            let value: String
            if let set = environment[String(name)] {
                value = set
            } else if let expandedFallback {
                value = expandedFallback.text
            } else {
                throw .unset(String(name))
            }
            secrets += expandedFallback?.secrets ?? []
            if Self.isSecretName(String(name)) {
                for secret in [value, expandedFallback?.text ?? ""] where !secret.isEmpty {
                    guard secret.count >= Self.minimumSecretLength else { throw .shortSecret(String(name)) }
                    secrets.append(secret)
                }
            }
            output += value
            rest = rest[rest.index(after: close)...]
        }
        output += rest
        return (output, secrets)
    }

    /// `text` as written, with the defaults of secret variables hidden: for
    /// messages that quote a value shipctl could not use.
    public static func maskingSecretDefaults(_ text: String) -> String {
        guard text.contains("${"),
            let pattern = try? NSRegularExpression(
                pattern: "\\$\\{([A-Za-z0-9_]*(?:TOKEN|KEY|SECRET|PASSWORD)[A-Za-z0-9_]*):-[^}]*\\}",
                options: [.caseInsensitive])
        else { return text }
        return pattern.stringByReplacingMatches(
            in: text, range: NSRange(text.startIndex..., in: text), withTemplate: "\\${$1:-\(Redactor.mask)}")
    }

    /// The `}` that closes a `${`, counting the `${ ... }` pairs inside it.
    private static func matchingBrace(in text: Substring) -> Substring.Index? {
        var depth = 0
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if character == "$", text[text.index(after: index)...].hasPrefix("{") {
                depth += 1
                index = text.index(index, offsetBy: 2)
                continue
            }
            if character == "}" {
                if depth == 0 { return index }
                depth -= 1
            }
            index = text.index(after: index)
        }
        return nil
    }
}
