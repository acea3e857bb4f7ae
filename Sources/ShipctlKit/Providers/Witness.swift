import Foundation

/// What the call that completes a promote writes onto the target itself, so
/// the cloud keeps the last word: `shipctl previous=1 deployment=D seq=42 head=…`.
/// `rollback` with no usable state goes back to `previous`; `audit verify`
/// checks that the log holds record `seq` with a hash starting with `head`, so
/// records cut off the end, or a chain rewritten from the start, are caught.
/// Lambda carries it in the alias description; Cloud Run in revision tags
/// (`previous`, `witness-<seq>-<head>`), without the deployment.
public struct Witness: Sendable, Equatable, CustomStringConvertible {
    public var previous: String
    public var deployment: String?
    public var seq: Int64?
    public var head: String?

    public static let headLength = 16

    public init(previous: String, deployment: String? = nil, seq: Int64? = nil, head: String? = nil) {
        self.previous = previous
        self.deployment = deployment
        self.seq = seq
        self.head = head
    }

    /// The witness of a promote from `previous`, citing the record written just before the completing call.
    public init(previous: String, deployment: String, citing record: AuditRecord) {
        self.init(
            previous: previous, deployment: deployment, seq: record.seq,
            head: String(record.hash.prefix(Self.headLength)))
    }

    public var description: String {
        var text = "shipctl previous=\(previous)"
        if let deployment { text += " deployment=\(deployment)" }
        if let seq { text += " seq=\(seq)" }
        if let head { text += " head=\(head)" }
        return text
    }

    /// Reads a description that shipctl wrote; nil for anything else (a hand-written description).
    public static func parse(_ text: String) -> Witness? {
        let words = text.split(separator: " ")
        guard words.first == "shipctl" else { return nil }
        var fields: [String: String] = [:]
        for word in words.dropFirst() {
            let parts = word.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            fields[String(parts[0])] = String(parts[1])
        }
        guard let previous = fields["previous"], Self.isPlain(previous) else { return nil }
        let head = fields["head"].flatMap { $0.count == headLength && $0.allSatisfy(\.isHexDigit) ? $0 : nil }
        return Witness(
            previous: previous, deployment: fields["deployment"].flatMap { Self.isPlain($0) ? $0 : nil },
            seq: fields["seq"].flatMap { Int64($0) }.flatMap { $0 > 0 ? $0 : nil }, head: head)
    }

    private static func isPlain(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 128
            && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }
}
