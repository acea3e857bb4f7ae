import Foundation

/// How an answer from outside (a CLI's output, an HTTP body) is quoted in an
/// error message: whole when short, else its start and how much was left out,
/// so a megabyte of garbage never floods a CI log. `Redactor.quote` redacts first: a
/// cut could otherwise split a secret and leave half of it unrecognised.
public enum AnswerQuote {
    public static func quote(_ text: String, limit: Int = 300) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return "(nothing)" }
        guard trimmed.count > limit else { return trimmed }
        // A CLI prints its warnings first and the error last: a cut from the start alone would keep the
        // noise and drop the cause, so a last line that names an error is kept as well.
        if let last = trimmed.split(separator: "\n").last.map({ $0.trimmingCharacters(in: .whitespaces) }),
            last.count < trimmed.count,
            last.range(of: errorWords, options: [.regularExpression, .caseInsensitive]) != nil
        {
            let tail = cut(last, to: min(last.count, limit / 2))
            let head = cut(trimmed, to: limit - tail.count)
            let leftOut = trimmed.count - head.count - tail.count
            return "\(head) … (\(leftOut) characters left out) … \(tail)\(tail.count < last.count ? "…" : "")"
        }
        let shown = cut(trimmed, to: limit)
        return "\(shown)… (\(trimmed.count - shown.count) more characters)"
    }

    private static let errorWords = #"error|exception|denied|refused|failed|not found|invalid|unable"#

    /// At most `limit` characters, ending at a word's end when one is near, so no word is shown half.
    private static func cut(_ text: String, to limit: Int) -> Substring {
        var shown = text.prefix(limit)
        guard shown.count < text.count else { return shown }
        if let space = shown.lastIndex(where: \.isWhitespace),
            shown.distance(from: shown.startIndex, to: space) >= limit * 3 / 4
        {
            shown = shown[..<space]
        }
        return shown
    }
}
