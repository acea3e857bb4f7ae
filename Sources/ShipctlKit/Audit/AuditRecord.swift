import Crypto
import Foundation

/// What the engine says happened; the state store turns it into a chained `AuditRecord`.
public struct AuditEvent: Sendable {
    public enum Phase: String, Sendable, Codable {
        case intent, result, info
    }

    public var deployment: String
    public var service: String
    public var env: String
    public var step: String
    public var phase: Phase
    public var action: String
    public var args: [String: JSONValue]
    public var outcome: String?
    public var durationMs: Int64?

    public init(
        deployment: String, service: String, env: String, step: String, phase: Phase, action: String,
        args: [String: JSONValue] = [:], outcome: String? = nil, durationMs: Int64? = nil
    ) {
        self.deployment = deployment
        self.service = service
        self.env = env
        self.step = step
        self.phase = phase
        self.action = action
        self.args = args
        self.outcome = outcome
        self.durationMs = durationMs
    }
}

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

/// UTC timestamps with milliseconds, e.g. `2026-11-23T06:20:00.123Z`.
public enum Timestamp {
    /// Reads what `format` writes (UTC, milliseconds).
    public static func parse(_ text: String) -> Date? {
        let numbers = text.split { !($0.isASCII && $0.isNumber) }.compactMap { Int32($0) }
        // Years a clock can mean; a record from year 2147483647 is not a date to compute with.
        guard numbers.count == 7, text.hasSuffix("Z"), (1970...9999).contains(numbers[0]),
            (1...12).contains(numbers[1]),
            (1...31).contains(numbers[2]), (0...23).contains(numbers[3]), (0...59).contains(numbers[4]),
            (0...60).contains(numbers[5]),
            (0...999).contains(numbers[6])
        else { return nil }
        var parts = tm()
        parts.tm_year = numbers[0] - 1900
        parts.tm_mon = numbers[1] - 1
        parts.tm_mday = numbers[2]
        parts.tm_hour = numbers[3]
        parts.tm_min = numbers[4]
        parts.tm_sec = numbers[5]
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)) + TimeInterval(numbers[6]) / 1000)
    }

    public static func format(_ date: Date) -> String {
        // Clamped to years 1970–9999 so that no date, however it was computed, overflows.
        let ms = min(max(Checked.milliseconds(date.timeIntervalSince1970) ?? 0, 0), 253_402_300_799_999)
        var seconds = time_t(ms / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(ms % 1000))
    }
}
