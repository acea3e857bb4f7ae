import Foundation

/// Text from outside shipctl (a failure's reason, a metric name) placed in a Slack message: on one line,
/// without controls, with `&`, `<` and `>` escaped as Slack asks, so it can neither become a link or a
/// mention (`<!channel>`) nor break the message's own markup.
enum SlackText {
    static func escaped(_ text: String, limit: Int = 600) -> String {
        var out = ""
        for character in TerminalText.neutralised(text, keepNewlines: false).prefix(limit) {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.append(character)
            }
        }
        return out
    }
}
