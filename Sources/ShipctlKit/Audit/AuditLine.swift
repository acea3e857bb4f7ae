import Foundation

/// One audit record exactly as written: the bytes the chain hash covers, with
/// cheap look-ups of the top-level fields so readers can skip records without
/// parsing them. Keys are written sorted and quotes inside strings are escaped,
/// so `"key":"` can only be a key, and for keys that sort after `args` the last
/// occurrence is the record's own field.
public struct AuditLine: Sendable {
    public let bytes: ArraySlice<UInt8>

    public init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
    }

    public init(_ text: String) {
        bytes = Array(text.utf8)[...]
    }

    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// The whole record, or nil when the line is not one.
    public var record: AuditRecord? { AuditRecord.parse(line: text[...]) }

    private static let actionPrefix = Array("{\"action\":\"".utf8)

    /// The first key of every record.
    public var action: String? {
        guard bytes.starts(with: Self.actionPrefix) else { return nil }
        return Self.plainString(in: bytes, from: bytes.startIndex + Self.actionPrefix.count)
    }

    /// A string field whose key sorts after `args` (deployment, env, outcome, phase, service, step, ts).
    public func field(_ key: String) -> String? {
        let pattern = Array("\"\(key)\":\"".utf8)
        guard let start = Self.lastIndex(of: pattern, in: bytes) else { return nil }
        return Self.plainString(in: bytes, from: start)
    }

    /// True when the string field `key` (sorting after `args`) is exactly `value`, without building strings.
    public func field(_ key: [UInt8], is value: [UInt8]) -> Bool {
        guard let start = Self.lastIndex(of: key, in: bytes), bytes.endIndex - start > value.count else { return false }
        return bytes[start..<(start + value.count)].elementsEqual(value)
            && bytes[start + value.count] == UInt8(ascii: "\"")
    }

    /// The record's seq, read from the bytes.
    public var seq: Int64? {
        guard let start = Self.lastIndex(of: Self.seqKey, in: bytes) else { return nil }
        return Int64(String(decoding: bytes[start...].prefix { $0 >= 48 && $0 <= 57 }.prefix(19), as: UTF8.self))
    }

    static let seqKey = Array("\"seq\":".utf8)

    /// The characters of a string value up to its closing quote; nil when it
    /// holds escapes (names shipctl writes never do) or is unterminated.
    private static func plainString(in bytes: ArraySlice<UInt8>, from start: Int) -> String? {
        guard let end = bytes[start...].firstIndex(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }),
            bytes[end] == UInt8(ascii: "\"")
        else { return nil }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    /// Where the value after the last occurrence of `key` starts.
    static func lastIndex(of key: [UInt8], in line: ArraySlice<UInt8>) -> Int? {
        guard line.count >= key.count, let first = key.first else { return nil }
        var index = line.endIndex - key.count
        while index >= line.startIndex {
            if line[index] == first, line[index..<(index + key.count)].elementsEqual(key) { return index + key.count }
            index -= 1
        }
        return nil
    }
}
