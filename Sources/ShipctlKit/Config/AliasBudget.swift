import Foundation
import Yams

/// YAML aliases let a small file stand for an enormous tree (the "billion
/// laughs"): a few kilobytes of anchors can expand into gigabytes once anything
/// walks or hashes the tree. A real shipctl.yaml needs a handful of aliases and
/// a few thousand nodes, so both are capped far above that and far below harm.
enum AliasBudget {
    static let maximumAliases = 200
    static let maximumNodes = 100_000

    /// Counts `*alias` tokens in the text before it is parsed at all, so that
    /// an alias bomb is refused before the parser builds (and hashes) anything.
    static func check(_ text: String, file: String) -> ConfigIssue? {
        guard text.contains("*") else { return nil }
        var count = 0
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where line.contains("*") {
            for column in aliasColumns(in: line) {
                count += 1
                if count > maximumAliases {
                    return ConfigIssue(
                        file: file, line: index + 1, column: column + 1, key: "",
                        message:
                            "more than \(maximumAliases) YAML aliases (`*name`); write the values out instead of expanding anchors this often"
                    )
                }
            }
        }
        return nil
    }

    /// Walks the composed tree with aliases expanded, stopping as soon as it has more nodes than a configuration can mean.
    static func check(_ root: Node, file: String) -> ConfigIssue? {
        var pending = [root]
        var visited = 0
        while let node = pending.popLast() {
            visited += 1
            if visited > maximumNodes {
                return ConfigIssue(
                    file: file, line: node.mark?.line ?? 0, column: node.mark?.column ?? 0, key: "",
                    message:
                        "the file expands to more than \(maximumNodes) YAML nodes (through anchors and aliases); a shipctl.yaml needs far fewer"
                )
            }
            switch node {
            case .mapping(let mapping):
                for (key, value) in mapping {
                    pending.append(key)
                    pending.append(value)
                }
            case .sequence(let sequence):
                pending.append(contentsOf: sequence)
            case .scalar, .alias:
                break
            }
        }
        return nil
    }

    /// Columns where an alias token starts: `*` followed by a name, at the start
    /// of a value (after indentation, `- `, `: `, `[`, `{` or `,`), outside
    /// quotes and comments. Counting a stray `*` in a block scalar only errs on the side of caution.
    private static func aliasColumns(in line: Substring) -> [Int] {
        var columns: [Int] = []
        var quote: Character?
        var previous: Character = " "
        let characters = Array(line)
        for (column, character) in characters.enumerated() {
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                if " \t[{,:-".contains(previous) { quote = character }
            } else if character == "#", previous == " " || previous == "\t" || column == 0 {
                break
            } else if character == "*", " \t[{,:-".contains(previous), column + 1 < characters.count,
                !" \t,[]{}".contains(characters[column + 1])
            {
                columns.append(column)
            }
            previous = character
        }
        return columns
    }
}
