import Foundation

/// Lets `{{placeholder}}` stand unquoted inside YAML flow mappings, as in the documented example's
/// `- { ssm: /micro-app/{{env}}/MODEL_PROVIDER, value: small-llm }`: there `{` and
/// `}` are YAML indicators and the line would not parse. Before parsing, the braces
/// of each placeholder become private-use characters (same length, so lines and
/// columns in messages stay right); reading a scalar turns them back.
enum PlaceholderShield {
    private static let open: [Character] = ["\u{E000}", "\u{E001}"]
    private static let close: [Character] = ["\u{E002}", "\u{E003}"]

    static func protect(_ yaml: String) -> String {
        guard yaml.contains("{{") else { return yaml }
        var output = ""
        output.reserveCapacity(yaml.utf8.count)
        var rest = Substring(yaml)
        while let start = rest.range(of: "{{") {
            output += rest[..<start.lowerBound]
            let after = rest[start.upperBound...]
            let name = after.prefix { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
            if !name.isEmpty, after[name.endIndex...].hasPrefix("}}") {
                output.append(contentsOf: open)
                output += name
                output.append(contentsOf: close)
                rest = after[after.index(name.endIndex, offsetBy: 2)...]
            } else {
                output += "{{"
                rest = after
            }
        }
        output += rest
        return output
    }

    static func restore(_ text: String) -> String {
        guard text.contains(open[0]) else { return text }
        return text.replacingOccurrences(of: String(open), with: "{{").replacingOccurrences(
            of: String(close), with: "}}")
    }

    /// The file already holds the characters the shield uses; it cannot be told apart.
    /// The UTF-8 offset of the first character shipctl reserves for the shield, if the text holds one.
    static func firstClash(in yaml: String) -> Int? {
        guard let index = yaml.unicodeScalars.firstIndex(where: { (0xE000...0xE003).contains($0.value) }) else {
            return nil
        }
        return yaml.utf8.distance(
            from: yaml.utf8.startIndex, to: index.samePosition(in: yaml.utf8) ?? yaml.utf8.startIndex)
    }
}
