import Foundation
import Yams

/// Reads typed values out of a composed YAML tree and collects every problem
/// with the file, line and key path it was found at, so `config validate` can
/// report all of them at once instead of stopping at the first.
final class YAMLReader {
    let file: String
    let interpolator: EnvironmentInterpolator
    private(set) var issues: [ConfigIssue] = []
    private(set) var secrets: [String] = []

    init(file: String, interpolator: EnvironmentInterpolator) {
        self.file = file
        self.interpolator = interpolator
    }

    /// What loads but deserves a word: older keys with a newer replacement. Said once per message.
    private(set) var warnings: [ConfigIssue] = []

    func warn(_ node: Node?, _ key: String, _ message: String) {
        guard !warnings.contains(where: { $0.message == message }) else { return }
        let mark = node?.mark
        warnings.append(
            ConfigIssue(file: file, line: mark?.line ?? 0, column: mark?.column ?? 0, key: key, message: message))
    }

    func report(_ node: Node?, _ key: String, _ message: String) {
        let mark = node?.mark
        issues.append(
            ConfigIssue(file: file, line: mark?.line ?? 0, column: mark?.column ?? 0, key: key, message: message))
    }

    /// A mapping's entries by key. Unknown keys and missing required keys are reported.
    func mapping(_ node: Node, key: String, allowed: [String], required: [String] = []) -> [String: Node]? {
        guard case .mapping(let mapping) = node else {
            report(node, key, "expected a mapping with keys \(allowed.joined(separator: ", ")), got \(describe(node))")
            return nil
        }
        var entries: [String: Node] = [:]
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                report(keyNode, key, "mapping keys must be plain names")
                continue
            }
            let name = PlaceholderShield.restore(scalar.string)
            let path = key.isEmpty ? name : "\(key).\(name)"
            guard allowed.contains(name) else {
                var message = "unknown key `\(name)`; expected one of: \(allowed.joined(separator: ", "))"
                if let near = Self.nearest(name, in: allowed) { message += " (did you mean `\(near)`?)" }
                report(keyNode, path, message)
                continue
            }
            entries[name] = value
        }
        for name in required where entries[name] == nil {
            report(node, key.isEmpty ? name : "\(key).\(name)", "required key `\(name)` is missing")
        }
        return entries
    }

    /// A mapping whose keys are names the user chooses (services, environments, vars).
    func namedEntries(_ node: Node, key: String) -> [(name: String, keyNode: Node, value: Node)]? {
        guard case .mapping(let mapping) = node else {
            report(node, key, "expected a mapping of names, got \(describe(node))")
            return nil
        }
        var entries: [(String, Node, Node)] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                report(keyNode, key, "mapping keys must be plain names")
                continue
            }
            entries.append((PlaceholderShield.restore(scalar.string), keyNode, value))
        }
        return entries
    }

    /// Hides a value that is secret by its place (a password in a URL), whatever variable it came from.
    func learnSecret(_ value: String) {
        secrets.append(value)
    }

    func string(_ node: Node, key: String) -> String? {
        guard case .scalar(let scalar) = node else {
            report(node, key, "expected a string, got \(describe(node))")
            return nil
        }
        if scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string) {
            report(node, key, "expected a string, got nothing")
            return nil
        }
        let expanded: String
        do {
            let result = try interpolator.expand(PlaceholderShield.restore(scalar.string))
            expanded = result.text
            secrets.append(contentsOf: result.secrets)
        } catch .unset(let name) {
            report(node, key, "environment variable `\(name)` is not set; set it or write `${\(name):-default}`")
            return nil
        } catch .shortSecret(let name) {
            report(
                node, key,
                "the value of secret variable `\(name)` (or its default) is shorter than \(EnvironmentInterpolator.minimumSecretLength) characters; "
                    + "so short a value cannot be masked in output — use a real secret")
            return nil
        } catch .nestedTooDeep {
            report(
                node, key,
                "`${...}` defaults are nested more than \(EnvironmentInterpolator.maximumNesting) levels deep")
            return nil
        } catch {
            report(node, key, "malformed `${...}`: write `${NAME}` or `${NAME:-default}`")
            return nil
        }
        let unknown = Placeholders.unknownNames(in: expanded)
        if !unknown.isEmpty {
            let known = Placeholders.known.sorted().map { "{{\($0)}}" }.joined(separator: ", ")
            report(
                node, key,
                "unknown placeholder \(unknown.map { "{{\($0)}}" }.joined(separator: ", ")); shipctl fills in \(known)")
            return nil
        }
        return expanded
    }

    /// A name that ends up in resource identifiers or file names: letters, digits, `-`, `_`, `.`, `:`
    /// (and `/` where a path is meant). `{{placeholders}}` only where a name is per
    /// environment or pull request by design (terraform dir, SSM path, preview secret).
    func name(_ node: Node, key: String, allowSlash: Bool = false, placeholders: Bool = false) -> String? {
        let secretsBefore = secrets.count
        guard let value = string(node, key: key) else { return nil }
        if secrets.count > secretsBefore {
            report(
                node, key, "a secret variable cannot be part of a name: names are printed and written to the audit log")
            return nil
        }
        return checkedName(value, node: node, key: key, allowSlash: allowSlash, placeholders: placeholders)
    }

    func checkedName(_ value: String, node: Node, key: String, allowSlash: Bool = false, placeholders: Bool = false)
        -> String?
    {
        var extra: Set<Character> = ["-", "_", ".", ":"]
        if allowSlash { extra.insert("/") }
        if placeholders { extra.formUnion(["{", "}"]) }
        let valid =
            !value.isEmpty && value.count <= 256
            && value.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || extra.contains($0)) }
            && !value.hasPrefix("-") && !value.split(separator: "/").contains("..")
        guard valid else {
            let shown = value.count > 60 ? String(value.prefix(60)) + "…" : value
            let braces = !placeholders && value.contains("{{") ? "; `{{…}}` placeholders are not filled in here" : ""
            report(
                node, key,
                "`\(shown)` is not a valid name: use letters, digits, `-`, `_`, `.`\(allowSlash ? ", `/`" : "") (no spaces, quotes or shell characters)\(braces)"
            )
            return nil
        }
        return value
    }

    func int(_ node: Node, key: String, range: ClosedRange<Int>) -> Int? {
        guard case .scalar(let scalar) = node, let value = Int(scalar.string), range.contains(value) else {
            report(
                node, key,
                "expected a whole number from \(range.lowerBound) to \(range.upperBound), got \(describe(node))")
            return nil
        }
        return value
    }

    func double(_ node: Node, key: String, range: ClosedRange<Double>? = nil, what: String = "a number") -> Double? {
        // Decimal only: Double() would also take `0x10`, `nan` and `infinity`.
        guard case .scalar(let scalar) = node, scalar.string.allSatisfy({ "0123456789+-.eE".contains($0) }),
            let value = Double(scalar.string), value.isFinite
        else {
            report(node, key, "expected \(what), got \(describe(node))")
            return nil
        }
        if let range, !range.contains(value) {
            report(
                node, key,
                "expected \(what) from \(Self.format(range.lowerBound)) to \(Self.format(range.upperBound)), got \(Self.format(value))"
            )
            return nil
        }
        return value
    }

    func bool(_ node: Node, key: String) -> Bool? {
        if case .scalar(let scalar) = node {
            switch scalar.string {
            case "true", "True", "TRUE", "yes": return true
            case "false", "False", "FALSE", "no": return false
            default: break
            }
        }
        report(node, key, "expected true or false, got \(describe(node))")
        return nil
    }

    func duration(_ node: Node, key: String, max: Duration = .seconds(86_400), allowZero: Bool = true) -> Duration? {
        guard case .scalar(let scalar) = node, let value = DurationParser.parse(scalar.string) else {
            report(node, key, "expected a duration like 500ms, 30s, 5m or 1h, got \(describe(node))")
            return nil
        }
        if value > max || (!allowZero && value == .zero) {
            report(
                node, key,
                "expected a duration \(allowZero ? "up to" : "above 0 and up to") \(DurationParser.format(max)), got \(scalar.string)"
            )
            return nil
        }
        return value
    }

    func url(_ node: Node, key: String) -> String? {
        guard let text = string(node, key: key) else { return nil }
        guard
            let parsed = URL(
                string: text.replacingOccurrences(of: "{{", with: "x").replacingOccurrences(of: "}}", with: "x")),
            let scheme = parsed.scheme, ["http", "https"].contains(scheme), parsed.host != nil
        else {
            report(node, key, "expected an http:// or https:// URL, got `\(text.prefix(80))`")
            return nil
        }
        // A password in the userinfo is a secret wherever it came from, as written and as decoded.
        if let password = URLComponents(string: text)?.percentEncodedPassword {
            guard password.count >= EnvironmentInterpolator.minimumSecretLength else {
                report(
                    node, key,
                    "the password in this URL is shorter than \(EnvironmentInterpolator.minimumSecretLength) characters; "
                        + "so short a value cannot be masked in output — use a real secret")
                return nil
            }
            learnSecret(password)
            if let decoded = password.removingPercentEncoding, decoded != password { learnSecret(decoded) }
        }
        return text
    }

    /// A value that is secret by its place (a `token:`, a `password:`): hidden in
    /// every output, whether it was written literally or came from any variable.
    func secret(_ node: Node, key: String) -> String? {
        guard let text = string(node, key: key) else { return nil }
        guard text.count >= EnvironmentInterpolator.minimumSecretLength else {
            report(
                node, key,
                "`\(key.split(separator: ".").last ?? "")` is shorter than \(EnvironmentInterpolator.minimumSecretLength) characters; "
                    + "so short a value cannot be masked in output — use a real secret")
            return nil
        }
        learnSecret(text)
        return text
    }

    func sequence(_ node: Node, key: String) -> [Node]? {
        guard case .sequence(let sequence) = node else {
            report(node, key, "expected a list, got \(describe(node))")
            return nil
        }
        return Array(sequence)
    }

    func stringList(_ node: Node, key: String) -> [String]? {
        guard let items = sequence(node, key: key) else { return nil }
        let values = items.enumerated().compactMap { index, item in string(item, key: "\(key)[\(index)]") }
        return values.count == items.count ? values : nil
    }

    func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar):
            let text = EnvironmentInterpolator.maskingSecretDefaults(PlaceholderShield.restore(scalar.string))
            if text.isEmpty { return "nothing" }
            let shown = text.count > 40 ? String(text.prefix(40)) + "…" : text
            return "`\(shown)`"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "a YAML alias"
        }
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    static func nearest(_ word: String, in candidates: [String]) -> String? {
        let scored = candidates.map { ($0, editDistance(word.lowercased(), $0)) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, word.count / 3) else { return nil }
        return best.0
    }

    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.prefix(64))
        let b = Array(b.prefix(64))
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = Swift.min(
                    previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
