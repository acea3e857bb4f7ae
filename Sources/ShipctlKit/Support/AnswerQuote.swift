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
        // At a word's end when one is near, so no word is shown half.
        var shown = trimmed.prefix(limit)
        if let space = shown.lastIndex(where: \.isWhitespace),
            shown.distance(from: shown.startIndex, to: space) >= limit * 3 / 4
        {
            shown = shown[..<space]
        }
        return "\(shown)… (\(trimmed.count - shown.count) more characters)"
    }
}
