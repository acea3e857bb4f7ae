import Foundation

/// The first series selector of a PromQL expression — `name{label="value", …}` — taken apart
/// so that `doctor` can ask for it one matcher at a time and name the one that matches nothing.
/// Only what a selector can hold is read; anything else leaves the expression unexplained (nil).
struct PromQLSelector: Equatable {
    var metric: String
    /// Each matcher as written: `version="3"`, `code=~"5.."`.
    var matchers: [String]

    /// The first `name{…}` in `expression` with a metric name, or nil.
    init?(firstIn expression: String) {
        let characters = Array(expression)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if character == "\"" || character == "'" || character == "`" {
                index = Self.skipQuoted(characters, from: index)
                continue
            }
            guard Self.startsName(character), index == 0 || !Self.continuesName(characters[index - 1]) else {
                index += 1
                continue
            }
            var end = index
            while end < characters.count, Self.continuesName(characters[end]) { end += 1 }
            let name = String(characters[index..<end])
            var brace = end
            while brace < characters.count, characters[brace] == " " { brace += 1 }
            if brace < characters.count, characters[brace] == "{",
                let matchers = Self.matchers(characters, openingAt: brace)
            {
                self.metric = name
                self.matchers = matchers
                return
            }
            index = end
        }
        return nil
    }

    init(metric: String, matchers: [String]) {
        self.metric = metric
        self.matchers = matchers
    }

    /// The selector with only its first `count` matchers.
    func text(matchers count: Int) -> String {
        let kept = matchers.prefix(count)
        return metric + (kept.isEmpty ? "" : "{\(kept.joined(separator: ","))}")
    }

    /// The selector with only its first `count` matchers, counted: one number however many series match.
    func countQuery(matchers count: Int) -> String {
        "count(\(text(matchers: count)))"
    }

    private static func startsName(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character == "_" || character == ":")
    }

    private static func continuesName(_ character: Character) -> Bool {
        startsName(character) || (character.isASCII && character.isNumber)
    }

    /// The index just past the quoted string that starts at `start` (backslash escapes honoured).
    private static func skipQuoted(_ characters: [Character], from start: Int) -> Int {
        let quote = characters[start]
        var index = start + 1
        while index < characters.count, characters[index] != quote {
            index += characters[index] == "\\" && quote != "`" ? 2 : 1
        }
        return index + 1
    }

    /// The matchers between `{` at `start` and its `}`, split at commas outside quotes; nil if it never closes.
    private static func matchers(_ characters: [Character], openingAt start: Int) -> [String]? {
        var matchers: [String] = []
        var current = ""
        var index = start + 1
        while index < characters.count {
            let character = characters[index]
            if character == "\"" || character == "'" || character == "`" {
                let end = min(skipQuoted(characters, from: index), characters.count)
                current += String(characters[index..<end])
                index = end
                continue
            }
            if character == "}" || character == "," {
                let matcher = current.trimmingCharacters(in: .whitespaces)
                if !matcher.isEmpty { matchers.append(matcher) }
                current = ""
                if character == "}" { return matchers }
            } else {
                current.append(character)
            }
            index += 1
        }
        return nil
    }
}
