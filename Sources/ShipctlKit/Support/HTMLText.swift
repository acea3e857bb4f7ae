import Foundation

/// Text from the audit log (queries, smoke output, cloud answers) made safe to
/// place in an HTML page: markup characters become entities and control
/// characters become visible escapes, so no record can add an element, an
/// attribute or a script to a report.
enum HTMLText {
    static func escaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in TerminalText.neutralised(text) {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
