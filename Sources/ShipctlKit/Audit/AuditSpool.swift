import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Records of actions already taken — a revert, the flags beside it, the end of the
/// deployment — that the audit log did not take because its database was away. They
/// wait here, one JSON object per line, and are appended to the log in order once it
/// answers: before the process ends if it can wait that long, else by the next
/// command that takes a deployment lock. Each keeps the time it happened
/// (`args.spooled_at`); the chain itself is formed when it is appended.
public struct AuditSpool: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// `.shipctl/spool.jsonl` beside the configuration: where the next run from this checkout looks.
    public static func beside(configPath: String) -> AuditSpool {
        let folder = URL(fileURLWithPath: configPath).deletingLastPathComponent().appendingPathComponent(".shipctl")
        return AuditSpool(path: folder.appendingPathComponent("spool.jsonl").path)
    }

    /// Adds one event, durable when this returns.
    public func keep(_ event: AuditEvent, at time: Date) throws(ShipctlError) {
        let folder = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(
                atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .runtime("cannot create \(folder) for the audit spool: \(error.localizedDescription)")
        }
        let line = Self.encode(event, at: time) + "\n"
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

    /// How many events wait.
    public var pendingCount: Int {
        (try? withLockedFile(O_RDONLY) { fd throws(ShipctlError) in Self.lines(fd).count }) ?? 0
    }

    public struct Delivery: Sendable {
        public var written: Int
        /// Ends of deployments that another runner finished meanwhile: not written, so none ends twice.
        public var dropped: Int
        public var remaining: Int
        public var error: ShipctlError?
    }

    /// Appends the waiting events to `store`, oldest first, and keeps those it could not write.
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
        var index = 0
        while index < waiting.count {
            guard let (event, time) = Self.decode(waiting[index]) else {
                index += 1
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
                index += 1
            } catch {
                delivery.error = error
                break
            }
        }
        let rest = waiting[index...].map { $0 + "\n" }.joined()
        delivery.remaining = waiting.count - index
        // Rewritten in place, never removed: a process about to add an event may hold the file open.
        if ftruncate(fd, 0) == 0, !rest.isEmpty {
            let bytes = Array(rest.utf8)
            _ = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        }
        fsync(fd)
        return delivery
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

    static func encode(_ event: AuditEvent, at time: Date) -> String {
        JSONValue.object([
            "at": .string(Timestamp.format(time)), "deployment": .string(event.deployment),
            "service": .string(event.service),
            "env": .string(event.env), "step": .string(event.step), "phase": .string(event.phase.rawValue),
            "action": .string(event.action),
            "args": .object(event.args), "outcome": event.outcome.map(JSONValue.string) ?? .null,
            "duration_ms": event.durationMs.map(JSONValue.int) ?? .null,
        ]).canonical
    }

    static func decode(_ line: String) -> (AuditEvent, Date)? {
        guard case .object(let fields)? = JSONValue.parse(line), let deployment = fields["deployment"]?.stringValue,
            let service = fields["service"]?.stringValue, let env = fields["env"]?.stringValue,
            let action = fields["action"]?.stringValue,
            let phase = fields["phase"]?.stringValue.flatMap(AuditEvent.Phase.init(rawValue:)),
            let time = fields["at"]?.stringValue.flatMap(Timestamp.parse)
        else { return nil }
        var args: [String: JSONValue] = [:]
        if case .object(let values)? = fields["args"] { args = values }
        var durationMs: Int64?
        if case .int(let value)? = fields["duration_ms"] { durationMs = value }
        let event = AuditEvent(
            deployment: deployment, service: service, env: env, step: fields["step"]?.stringValue ?? "", phase: phase,
            action: action, args: args, outcome: fields["outcome"]?.stringValue, durationMs: durationMs)
        return (event, time)
    }
}
