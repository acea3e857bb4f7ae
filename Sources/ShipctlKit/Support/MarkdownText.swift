import Foundation

/// Text placed in a Markdown table cell or line of the job summary: one line
/// (a newline would let a smoke test's output start a heading or a fenced
/// block of its own), no pipe that would end the cell early, no markup that
/// would turn a value into a link, an image, code, a strike-through or math,
/// no backslash that would undo an escape, and short enough that a summary stays small.
enum MarkdownText {
    static func cell(_ text: String, limit: Int = 200) -> String {
        var out = ""
        for character in TerminalText.neutralised(text, keepNewlines: false).prefix(limit) {
            switch character {
            case "|": out += "\\|"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\\", "[", "]", "`", "*", "_", "!", "~", "$", "#": out += "\\\(character)"
            default: out.append(character)
            }
        }
        return out
    }
}
