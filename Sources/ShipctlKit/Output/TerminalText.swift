import Foundation

/// Text that did not come from shipctl's own format strings (a Lambda error
/// body, a revision name, a field of the audit log) made harmless before it
/// reaches a terminal or a CI log: it can neither move the cursor, recolour or
/// retitle a terminal, nor become a GitHub Actions workflow command.
public enum TerminalText {
    /// C0 controls other than newline and tab, DEL, C1 controls and the Unicode
    /// direction overrides, written as visible escapes (`\x1b`, `\r`, `\u{202e}`).
    /// With `keepNewlines: false` a newline is escaped too, for text that must stay on one line.
    public static func neutralised(_ text: String, keepNewlines: Bool = true) -> String {
        guard text.unicodeScalars.contains(where: { needsEscape($0, keepNewlines: keepNewlines) }) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar, keepNewlines: keepNewlines) else {
                out.append(scalar)
                continue
            }
            let escape: String
            switch scalar {
            case "\r": escape = "\\r"
            case "\n": escape = "\\n"
            case _ where scalar.value < 0x100: escape = String(format: "\\x%02x", scalar.value)
            default: escape = String(format: "\\u{%04x}", scalar.value)
            }
            out.append(contentsOf: escape.unicodeScalars)
        }
        return String(out)
    }

    private static func needsEscape(_ scalar: Unicode.Scalar, keepNewlines: Bool) -> Bool {
        switch scalar.value {
        case 0x0A: return !keepNewlines
        case 0x09: return false
        case 0x00..<0x20, 0x7F...0x9F: return true
        case 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    /// Under GitHub Actions, no line of `text` may be read as a workflow command:
    /// a line whose first non-blank characters are `::`, or that holds the
    /// older `##[` form anywhere, has its leading colon or its `#` escaped.
    public static func defusingWorkflowCommands(_ text: String) -> String {
        guard text.contains("::") || text.contains("##[") else { return text }
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            var line = String(line).replacingOccurrences(of: "##[", with: "#\\#[")
            let blanks = line.prefix { $0 == " " || $0 == "\t" }
            if line.dropFirst(blanks.count).hasPrefix("::") {
                line = blanks + "\\" + line.dropFirst(blanks.count)
            }
            return line
        }.joined(separator: "\n")
    }

    /// The message part of a workflow command (`::error::MESSAGE`), escaped as
    /// the runner unescapes it, so it stays one command on one line.
    public static func workflowCommandData(_ text: String) -> String {
        text.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D")
            .replacingOccurrences(of: "\n", with: "%0A")
    }

    /// A property value of a workflow command (`::error title=VALUE::`): also `:` and `,`.
    public static func workflowCommandProperty(_ text: String) -> String {
        workflowCommandData(text).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
    }
}
