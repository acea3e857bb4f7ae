import Foundation

/// Text placed in a Markdown table cell of the job summary: one line, no pipe
/// that would end the cell early, no markup that would turn a value into a
/// link or an image, and short enough that a summary stays small.
enum MarkdownText {
    static func cell(_ text: String, limit: Int = 200) -> String {
        var out = ""
        for character in TerminalText.neutralised(text).prefix(limit) {
            switch character {
            case "|": out += "\\|"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "[", "]", "`", "*", "_", "!": out += "\\\(character)"
            default: out.append(character)
            }
        }
        return out
    }
}
