import Foundation

/// A 1-based line and column in the configuration file, for problems found
/// before there is a YAML tree to point into (bytes that are not UTF-8,
/// reserved characters, a repeated key).
struct SourcePosition: Equatable {
    var line: Int
    var column: Int

    /// Where the byte at `offset` of `bytes` is; columns count characters, as YAML marks do.
    init(byteOffset requested: Int, in bytes: some Collection<UInt8>) {
        let offset = min(max(requested, 0), bytes.count)
        var line = 1
        var lineStart = 0
        for (index, byte) in bytes.prefix(offset).enumerated() where byte == UInt8(ascii: "\n") {
            line += 1
            lineStart = index + 1
        }
        let head = Array(bytes.dropFirst(lineStart).prefix(max(0, offset - lineStart)))
        self.line = line
        column = String(decoding: head, as: UTF8.self).count + 1
    }

    /// The offset of the first byte that does not belong to valid UTF-8, if any.
    static func firstInvalidUTF8(in bytes: [UInt8]) -> Int? {
        var offset = 0
        while offset < bytes.count {
            let lead = bytes[offset]
            let length: Int
            switch lead {
            case 0x00...0x7F: length = 1
            case 0xC2...0xDF: length = 2
            case 0xE0...0xEF: length = 3
            case 0xF0...0xF4: length = 4
            default: return offset
            }
            guard offset + length <= bytes.count else { return offset }
            let sequence = Array(bytes[offset..<offset + length])
            if length > 1, String(validating: sequence, as: UTF8.self) == nil { return offset }
            offset += length
        }
        return nil
    }

    /// Where `key` is written as a mapping key for the second time after `first`:
    /// the repeated entry is the one to point at, not the original.
    static func repeatedKey(_ key: String, after first: SourcePosition, in text: String) -> SourcePosition? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard first.line >= 1, first.line <= lines.count else { return nil }
        for index in (first.line - 1)..<lines.count {
            let line = Array(lines[index])
            // On the first line, start one past the original so it is not found again.
            let column = index == first.line - 1 ? first.column : 0
            if let found = occurrence(of: key, in: line, from: column) {
                return SourcePosition(line: index + 1, column: found + 1)
            }
        }
        return nil
    }

    /// A column in `line` at or after `start` where `key` stands as a key: after
    /// the indentation, a `{`, a `,` or a `- `, and followed by `:`.
    private static func occurrence(of key: String, in line: [Character], from start: Int) -> Int? {
        let keyCharacters = Array(key)
        guard !keyCharacters.isEmpty, line.count >= keyCharacters.count else { return nil }
        var column = start
        while column + keyCharacters.count <= line.count {
            if Array(line[column..<column + keyCharacters.count]) == keyCharacters {
                let before = line[..<column].last { $0 != " " && $0 != "\t" }
                var after = column + keyCharacters.count
                while after < line.count, line[after] == " " { after += 1 }
                let standsAsKey =
                    before == nil || before == "{" || before == "," || before == "-" || before == "\"" || before == "'"
                if standsAsKey, after < line.count, line[after] == ":" || line[after] == "\"" || line[after] == "'" {
                    return column
                }
            }
            column += 1
        }
        return nil
    }
}

extension SourcePosition {
    init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
}
