import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Records of actions already taken — a revert, a rollback, the flags beside them, the end of the
/// deployment — that the audit log did not take because its database was away. They
/// wait here, one JSON object per line, and are appended to the log in order once it
/// answers: before the process ends if it can wait that long, else by the next
/// command that takes a deployment lock. Each keeps the time it happened
/// (`args.spooled_at`), who acted, and the log it belongs to; the chain itself is
/// formed when it is appended.
///
/// The file sits in the checkout, where anyone who can change the repository can plant lines. So each line
/// carries an HMAC-SHA256 under a key that never leaves this machine's user (`spool.key` in the state home,
/// created on first use, mode 0600); a line without a valid one, or of an action no revert or rollback
/// writes, is refused — moved to `spool.refused.jsonl` beside the spool and reported — and never enters
/// the chain. A line is delivered only into the log it names (the store's location); lines of another log
/// wait for a command that writes there.
public struct AuditSpool: Sendable {
    public let path: String
    /// The key lines are signed with.
    public let keyPath: String
    /// Who acts in this process: kept with each line, so a record written later names them, not the deliverer.
    public let actor: Actor

    /// The actions a kept record may have: those of taking traffic back and ending a deployment.
    static let keptActions: Set<String> = [
        AuditAction.trafficRevert, AuditAction.rollback, AuditAction.flagSet, AuditAction.deploymentFinish,
    ]

    public init(path: String, keyPath: String? = nil, actor: Actor = .current()) {
        self.path = path
        self.keyPath =
            keyPath
            ?? ((path as NSString).deletingLastPathComponent as NSString)
            .appendingPathComponent("spool.key")
        self.actor = actor
    }

    /// `.shipctl/spool.jsonl` beside the configuration: where the next run from this checkout looks; the key
    /// in the user's state home (`$XDG_STATE_HOME/shipctl`, else `~/.local/state/shipctl`), outside the checkout.
    public static func beside(configPath: String, environment: [String: String], actor: Actor) -> AuditSpool {
        let folder = URL(fileURLWithPath: configPath).deletingLastPathComponent().appendingPathComponent(".shipctl")
        let home =
            environment["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? environment["HOME"].flatMap { $0.isEmpty ? nil : "\($0)/.local/state" }
        return AuditSpool(
            path: folder.appendingPathComponent("spool.jsonl").path,
            keyPath: home.map { "\($0)/shipctl/spool.key" }, actor: actor)
    }

    /// Where refused lines are moved, for a person to look at.
    public var refusedPath: String {
        ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent("spool.refused.jsonl")
    }

    /// Adds one event bound for `log` (the store's location), durable when this returns.
    public func keep(_ event: AuditEvent, at time: Date, log: String) throws(ShipctlError) {
        let folder = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(
                atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .runtime("cannot create \(folder) for the audit spool: \(error.localizedDescription)")
        }
        let key = try signingKey(creating: true)
        let line = Self.encode(event, at: time, actor: event.actor ?? actor, log: log, key: key) + "\n"
        try withLockedFile(O_RDWR | O_CREAT | O_APPEND) { fd throws(ShipctlError) in
            // After a line torn by a crash, the new one starts on its own line.
            var last: UInt8 = 0
            let size = lseek(fd, 0, SEEK_END)
            let torn = size > 0 && pread(fd, &last, 1, size - 1) == 1 && last != UInt8(ascii: "\n")
            let bytes = Array(((torn ? "\n" : "") + line).utf8)
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard written == bytes.count, fsync(fd) == 0 else { throw .runtime("cannot write the audit spool \(path)") }
        }
    }

    /// How many events wait for the log at `log`.
    public func pendingCount(for log: String) -> Int {
        let lines = (try? withLockedFile(O_RDONLY) { fd throws(ShipctlError) in Self.lines(fd) }) ?? []
        return lines.filter { JSONValue.parse($0)?["log"]?.stringValue == log }.count
    }

    /// How many events wait.
    public var pendingCount: Int {
        (try? withLockedFile(O_RDONLY) { fd throws(ShipctlError) in Self.lines(fd).count }) ?? 0
    }

    public struct Delivery: Sendable {
        public var written: Int
        /// Ends of deployments that another runner finished meanwhile: not written, so none ends twice.
        public var dropped: Int
        /// Lines for this log still waiting.
        public var remaining: Int
        public var error: ShipctlError?
        /// Lines not signed by this machine's key, or of an action no revert writes: moved to `refusedPath`.
        public var refused = 0
        /// Lines for another log, left waiting for it.
        public var elsewhere = 0
    }

    /// Appends the waiting events that belong to `store`'s log to it, oldest first; keeps those it could not
    /// write and those of another log, and moves refused ones out.
    public func deliver(to store: any StateStore) async -> Delivery {
        var delivery = Delivery(written: 0, dropped: 0, remaining: 0, error: nil)
        guard FileManager.default.fileExists(atPath: path) else { return delivery }
        let fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return delivery }
        defer { Glibc.close(fd) }
        // Another process delivering the same spool has it; it leaves nothing behind for this one.
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { return delivery }
        defer { flock(fd, LOCK_UN) }
        let waiting = Self.lines(fd)
        guard !waiting.isEmpty else { return delivery }
        let key = try? signingKey(creating: false)
        var kept: [String] = []
        var refused: [String] = []
        var failed = false
        for line in waiting {
            guard let key, let (event, time, log) = Self.decode(line, key: key) else {
                refused.append(line)
                continue
            }
            guard log == store.location else {
                delivery.elsewhere += 1
                kept.append(line)
                continue
            }
            // After a failure the rest of this log's lines wait too: the log keeps their order.
            guard !failed else {
                delivery.remaining += 1
                kept.append(line)
                continue
            }
            do {
                if try await finishesAnEndedDeployment(event, store: store) {
                    delivery.dropped += 1
                } else {
                    var written = event
                    written.args["spooled_at"] = .string(Timestamp.format(time))
                    try await store.append(written)
                    delivery.written += 1
                }
            } catch {
                delivery.error = error
                failed = true
                delivery.remaining += 1
                kept.append(line)
            }
        }
        delivery.refused = refused.count
        if !refused.isEmpty { Self.append(refused, to: refusedPath) }
        let rest = kept.map { $0 + "\n" }.joined()
        // Rewritten in place, never removed: a process about to add an event may hold the file open.
        if ftruncate(fd, 0) == 0, !rest.isEmpty {
            let bytes = Array(rest.utf8)
            _ = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        }
        fsync(fd)
        return delivery
    }

    /// The key lines are signed with; made (32 random bytes, mode 0600) when `creating` and there is none.
    private func signingKey(creating: Bool) throws(ShipctlError) -> SymmetricKey {
        if let text = try? String(contentsOfFile: keyPath, encoding: .utf8),
            let bytes = Self.bytes(hex: text.trimmingCharacters(in: .whitespacesAndNewlines)), bytes.count == 32
        {
            return SymmetricKey(data: bytes)
        }
        guard creating else { throw .runtime("no spool key at \(keyPath)") }
        let folder = (keyPath as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(
            atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let key = SymmetricKey(size: .bits256)
        let hex = key.withUnsafeBytes { $0.map { String(format: "%02x", $0) }.joined() }
        let fd = open(keyPath, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            // Another process made it first: use theirs.
            if errno == EEXIST, let made = try? signingKey(creating: false) { return made }
            throw .runtime("cannot create the spool key \(keyPath): \(String(cString: strerror(errno)))")
        }
        defer { Glibc.close(fd) }
        let bytes = Array((hex + "\n").utf8)
        guard bytes.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == bytes.count, fsync(fd) == 0 else {
            throw .runtime("cannot write the spool key \(keyPath)")
        }
        return key
    }

    private static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else {
                return nil
            }
            bytes.append(byte)
        }
        return bytes
    }

    /// Adds `lines` to the file at `path` (refused lines, kept for a person to look at).
    private static func append(_ lines: [String], to path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        defer { Glibc.close(fd) }
        let bytes = Array(lines.map { $0 + "\n" }.joined().utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        fsync(fd)
    }

    /// A deployment's end is written only while the log still shows it unfinished.
    private func finishesAnEndedDeployment(_ event: AuditEvent, store: any StateStore) async throws(ShipctlError)
        -> Bool
    {
        guard event.action == AuditAction.deploymentFinish else { return false }
        let scope = StateScope(
            service: event.service, env: event.env, target: event.args[StateScope.targetArgument]?.stringValue ?? "")
        return try await store.history(scope).inFlight?.deployment != event.deployment
    }

    private func withLockedFile<T>(_ flags: Int32, _ body: (Int32) throws(ShipctlError) -> T) throws(ShipctlError) -> T
    {
        let fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            if errno == ENOENT && flags & O_CREAT == 0 { return try body(-1) }
            throw .runtime("cannot open the audit spool \(path): \(String(cString: strerror(errno)))")
        }
        defer { Glibc.close(fd) }
        while flock(fd, flags == O_RDONLY ? LOCK_SH : LOCK_EX) != 0 {
            guard errno == EINTR else { throw .runtime("cannot lock the audit spool \(path)") }
        }
        defer { flock(fd, LOCK_UN) }
        return try body(fd)
    }

    /// The whole lines of the file (a torn last line, from a crash mid-write, is left out).
    private static func lines(_ fd: Int32) -> [String] {
        guard fd >= 0 else { return [] }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        var offset: off_t = 0
        while bytes.count < 64 << 20 {
            let count = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            bytes.append(contentsOf: chunk[0..<count])
            offset += off_t(count)
        }
        guard let end = bytes.lastIndex(of: UInt8(ascii: "\n")) else { return [] }
        return bytes[..<end].split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self) }
    }

    static func encode(_ event: AuditEvent, at time: Date, actor: Actor, log: String, key: SymmetricKey) -> String {
        var fields: [String: JSONValue] = [
            "at": .string(Timestamp.format(time)), "deployment": .string(event.deployment),
            "service": .string(event.service),
            "env": .string(event.env), "step": .string(event.step), "phase": .string(event.phase.rawValue),
            "action": .string(event.action),
            "args": .object(event.args), "outcome": event.outcome.map(JSONValue.string) ?? .null,
            "duration_ms": event.durationMs.map(JSONValue.int) ?? .null,
            "actor": .string(actor.name), "run": actor.run.map(JSONValue.string) ?? .null, "log": .string(log),
        ]
        fields["mac"] = .string(mac(of: JSONValue.object(fields).canonical, key: key))
        return JSONValue.object(fields).canonical
    }

    private static func mac(of text: String, key: SymmetricKey) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key).map { String(format: "%02x", $0) }.joined()
    }

    /// The event, when it happened and the log it is for; nil for a line this machine's key did not sign, or
    /// whose action no revert or rollback writes.
    static func decode(_ line: String, key: SymmetricKey) -> (AuditEvent, Date, String)? {
        guard case .object(var fields)? = JSONValue.parse(line),
            let mac = fields.removeValue(forKey: "mac")?.stringValue,
            Self.mac(of: JSONValue.object(fields).canonical, key: key) == mac,
            let deployment = fields["deployment"]?.stringValue,
            let service = fields["service"]?.stringValue, let env = fields["env"]?.stringValue,
            let action = fields["action"]?.stringValue, keptActions.contains(action),
            let phase = fields["phase"]?.stringValue.flatMap(AuditEvent.Phase.init(rawValue:)),
            let time = fields["at"]?.stringValue.flatMap(Timestamp.parse), let log = fields["log"]?.stringValue,
            let actor = fields["actor"]?.stringValue
        else { return nil }
        var args: [String: JSONValue] = [:]
        if case .object(let values)? = fields["args"] { args = values }
        var durationMs: Int64?
        if case .int(let value)? = fields["duration_ms"] { durationMs = value }
        var event = AuditEvent(
            deployment: deployment, service: service, env: env, step: fields["step"]?.stringValue ?? "", phase: phase,
            action: action, args: args, outcome: fields["outcome"]?.stringValue, durationMs: durationMs)
        event.actor = Actor(name: actor, run: fields["run"]?.stringValue)
        return (event, time, log)
    }
}
