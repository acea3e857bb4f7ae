import Foundation

/// Checks audit lines one after another against the hash chain: each line must
/// be a complete record whose `prev` is the previous record's hash, whose hash
/// matches its bytes, and whose seq is the next one. Every store (a file, a
/// database) feeds its lines through this, so they verify the same way.
public struct ChainVerifier: Sendable {
    public private(set) var expectedPrev: [UInt8]
    public private(set) var expectedSeq: Int64
    /// Lines that extended the chain.
    public private(set) var count = 0
    /// 1-based number of the last line checked.
    public private(set) var lineNumber = 0

    private static let hashKey = Array(",\"hash\":\"".utf8), prevKey = Array("\"prev\":\"".utf8)
    private static let suffixLength = hashKey.count + 64 + 2

    /// A verifier that expects the record after the one with `hash` and `seq` (the start of the log by default).
    public init(after hash: String = AuditRecord.genesis, seq: Int64 = 0) {
        expectedPrev = Array(hash.utf8)
        expectedSeq = seq + 1
    }

    public var lastHash: String { String(decoding: expectedPrev, as: UTF8.self) }
    public var lastSeq: Int64 { expectedSeq - 1 }

    /// Checks the next line; nil when it extends the chain, else its seq (if readable) and what is wrong.
    public mutating func check(_ line: ArraySlice<UInt8>) -> (seq: Int64?, reason: String)? {
        lineNumber += 1
        let seq = AuditLine(line).seq
        guard let hash = Self.ownHash(of: line, prev: expectedPrev) else {
            if Self.storedHash(line) == nil { return (seq, "the line is not a complete audit record") }
            if let seq, seq > expectedSeq, Self.isSelfConsistent(line) {
                let missing = seq == expectedSeq + 1 ? "seq \(expectedSeq) is" : "seq \(expectedSeq)–\(seq - 1) are"
                return (seq, "the record\(seq == expectedSeq + 1 ? "" : "s") before it, \(missing) missing (deleted)")
            }
            if Self.prevField(line).map({ !$0.elementsEqual(expectedPrev) }) ?? true {
                return (seq, "its prev does not match the hash of the record before it")
            }
            return (seq, "its content does not match its hash (the record was changed)")
        }
        guard seq == expectedSeq else { return (seq, "expected seq \(expectedSeq)") }
        expectedPrev = hash
        expectedSeq += 1
        count += 1
        return nil
    }

    /// The line's stored hash when the line is a complete record that follows `prev`
    /// and whose content matches that hash.
    public static func ownHash(of line: ArraySlice<UInt8>, prev: [UInt8]) -> [UInt8]? {
        guard let stored = storedHash(line), let prevValue = prevField(line), prevValue.elementsEqual(prev) else {
            return nil
        }
        let body = line[..<(line.endIndex - suffixLength)]
        let computed = AuditRecord.chainHash(prev: prev, bodyWithoutClosingBrace: body)
        return computed.utf8.elementsEqual(stored) ? Array(stored) : nil
    }

    /// True when the line is a complete record consistent with its own `prev` and hash.
    public static func isSelfConsistent(_ line: ArraySlice<UInt8>) -> Bool {
        guard let prev = prevField(line) else { return false }
        return ownHash(of: line, prev: Array(prev)) != nil
    }

    public static func storedHash(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        guard line.count > suffixLength, line.last == UInt8(ascii: "}"), line[line.endIndex - 2] == UInt8(ascii: "\"")
        else { return nil }
        let suffixStart = line.endIndex - suffixLength
        guard line[suffixStart..<(suffixStart + hashKey.count)].elementsEqual(hashKey) else { return nil }
        return line[(suffixStart + hashKey.count)..<(line.endIndex - 2)]
    }

    private static func prevField(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        guard line.count > suffixLength else { return nil }
        let body = line[..<(line.endIndex - suffixLength)]
        guard let start = AuditLine.lastIndex(of: prevKey, in: body), body.endIndex - start >= 64 else { return nil }
        return body[start..<(start + 64)]
    }
}
