import Crypto
import Foundation

/// One line of the audit log. The hash covers the previous record's
/// hash and this record's canonical JSON without the `hash` field, so editing
/// any byte of any record breaks the chain from that record on.
public struct AuditRecord: Sendable {
    public static let genesis = String(repeating: "0", count: 64)

    public var seq: Int64
    public var ts: String
    public var actor: String
    public var run: String?
    public var prev: String
    public var hash: String
    public var event: AuditEvent

    public var deployment: String { event.deployment }
    public var service: String { event.service }
    public var env: String { event.env }
    public var action: String { event.action }
    public var step: String { event.step }
    public var phase: AuditEvent.Phase { event.phase }
    public var outcome: String? { event.outcome }
    public var args: [String: JSONValue] { event.args }

    /// Builds the record that follows `prev`, and its line as written to disk.
    public static func make(event: AuditEvent, seq: Int64, prev: String, actor: String, run: String?, now: Date) -> (
        AuditRecord, String
    ) {
        var record = AuditRecord(
            seq: seq, ts: Timestamp.format(now), actor: actor, run: run, prev: prev, hash: "", event: event)
        let body = JSONValue.object(record.unhashedFields).canonical
        record.hash = chainHash(prev: prev, body: body)
        return (record, String(body.dropLast()) + ",\"hash\":\"\(record.hash)\"}")
    }

    /// Every field but `hash`: what the chain hash covers.
    private var unhashedFields: [String: JSONValue] {
        [
            "seq": .int(seq), "ts": .string(ts), "deployment": .string(deployment), "service": .string(service),
            "env": .string(env), "actor": .string(actor), "run": run.map(JSONValue.string) ?? .null,
            "step": .string(event.step),
            "phase": .string(phase.rawValue), "action": .string(action), "args": .object(args),
            "outcome": outcome.map(JSONValue.string) ?? .null,
            "duration_ms": event.durationMs.map(JSONValue.int) ?? .null,
            "prev": .string(prev),
        ]
    }

    static func chainHash(prev: String, body: String) -> String {
        chainHash(prev: Array(prev.utf8), bodyWithoutClosingBrace: Array(body.utf8.dropLast()))
    }

    /// The same hash over bytes, for verifying large logs without building strings.
    static func chainHash<Bytes: Collection<UInt8>>(prev: [UInt8], bodyWithoutClosingBrace: Bytes) -> String {
        var hasher = SHA256()
        hasher.update(data: prev)
        hasher.update(data: [UInt8(ascii: "\n")])
        hasher.update(data: Array(bodyWithoutClosingBrace))
        hasher.update(data: [UInt8(ascii: "}")])
        let hexDigits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        for byte in hasher.finalize() {
            hex.append(hexDigits[Int(byte >> 4)])
            hex.append(hexDigits[Int(byte & 0x0f)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    /// Splits a written line into the hashed body and the stored hash.
    static func split(line: Substring) -> (body: String, hash: String)? {
        let suffixLength = ",\"hash\":\"".count + 64 + "\"}".count
        guard line.utf8.count > suffixLength, line.hasSuffix("\"}") else { return nil }
        let suffixStart = line.index(line.endIndex, offsetBy: -suffixLength)
        let suffix = line[suffixStart...]
        guard suffix.hasPrefix(",\"hash\":\"") else { return nil }
        let hash = String(suffix.dropFirst(",\"hash\":\"".count).dropLast(2))
        return (String(line[..<suffixStart]) + "}", hash)
    }

    /// Parses a written line; nil when it is not a well-formed record.
    static func parse(line: Substring) -> AuditRecord? {
        guard let (_, hash) = split(line: line), case .object(let fields)? = JSONParser.parse(line),
            let seq = fields["seq"].flatMap({ if case .int(let v) = $0 { v } else { nil } }),
            let prev = fields["prev"]?.stringValue, let ts = fields["ts"]?.stringValue,
            let phase = fields["phase"]?.stringValue.flatMap(AuditEvent.Phase.init(rawValue:))
        else { return nil }
        let args: [String: JSONValue]
        if case .object(let values)? = fields["args"] { args = values } else { args = [:] }
        let event = AuditEvent(
            deployment: fields["deployment"]?.stringValue ?? "", service: fields["service"]?.stringValue ?? "",
            env: fields["env"]?.stringValue ?? "", step: fields["step"]?.stringValue ?? "", phase: phase,
            action: fields["action"]?.stringValue ?? "", args: args, outcome: fields["outcome"]?.stringValue,
            durationMs: fields["duration_ms"].flatMap { if case .int(let v) = $0 { v } else { nil } })
        return AuditRecord(
            seq: seq, ts: ts, actor: fields["actor"]?.stringValue ?? "", run: fields["run"]?.stringValue,
            prev: prev, hash: hash, event: event)
    }

    /// The record as one JSON object, for `audit show --json`.
    public var json: JSONValue {
        .object(unhashedFields.merging(["hash": .string(hash)]) { $1 })
    }
}
