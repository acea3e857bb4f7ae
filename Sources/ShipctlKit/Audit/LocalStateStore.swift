import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The default state store: `audit.jsonl` and `locks/SERVICE.ENV.lock` in the
/// configured state directory. Appends hold an exclusive `flock` so concurrent
/// shipctl processes never interleave lines, and each record is `fsync`ed
/// before `append` returns, i.e. before the action it announces is taken.
public struct LocalStateStore: StateStore {
    public let directory: URL
    private let actor: Actor
    private let now: @Sendable () -> Date

    public init(directory: URL, actor: Actor = .current(), now: @escaping @Sendable () -> Date = Date.init) {
        self.directory = directory
        self.actor = actor
        self.now = now
    }

    public var auditPath: String { directory.appendingPathComponent("audit.jsonl").path }
    public var tornPath: String { directory.appendingPathComponent("audit.torn").path }

    private func lockPath(service: String, env: String) -> String {
        directory.appendingPathComponent("locks").appendingPathComponent("\(service).\(env).lock").path
    }

    // MARK: audit log

    @discardableResult
    public func append(_ event: AuditEvent) throws(ShipctlError) -> AuditRecord {
        try ensureDirectory(directory.path)
        let fd = open(auditPath, O_RDWR | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else { throw ioError("cannot open \(auditPath)") }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else { throw ioError("cannot lock \(auditPath)") }
        defer { flock(fd, LOCK_UN) }
        let tail = try readTail(fd)
        let (record, line) = AuditRecord.make(event: event, seq: tail.seq + 1, prev: tail.hash, actor: actor.name, run: actor.run, now: now())
        let bytes = Array((line + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw ioError("cannot write to \(auditPath)") }
        guard fsync(fd) == 0 else { throw ioError("cannot flush \(auditPath) to disk") }
        return record
    }

    /// The seq and hash of the last complete record. A torn final line (a write
    /// cut short by power loss) is moved to `audit.torn` so the chain can go on.
    private func readTail(_ fd: Int32) throws(ShipctlError) -> (seq: Int64, hash: String) {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ioError("cannot stat \(auditPath)") }
        let size = Int64(info.st_size)
        if size == 0 { return (0, AuditRecord.genesis) }
        var window = min(size, 65_536)
        while true {
            var buffer = [UInt8](repeating: 0, count: Int(window))
            let read = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, Int(window), off_t(size - window)) }
            guard read == Int(window) else { throw ioError("cannot read \(auditPath)") }
            var end = buffer.count
            if buffer.last != UInt8(ascii: "\n") {
                guard let lastNewline = buffer.lastIndex(of: UInt8(ascii: "\n")) ?? (window == size ? -1 : nil) else {
                    window = min(size, window * 4)
                    continue
                }
                try quarantineTornTail(fd, from: size - window + Int64(lastNewline + 1), bytes: Array(buffer[(lastNewline + 1)...]))
                end = lastNewline + 1
                if end == 0 { return (0, AuditRecord.genesis) }
            }
            let content = buffer[..<(end - 1)]
            let start = content.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }
            guard let start else {
                if window < size { window = min(size, window * 4); continue }
                return try parseTail(content[...])
            }
            return try parseTail(content[start...])
        }
    }

    private func parseTail(_ bytes: ArraySlice<UInt8>) throws(ShipctlError) -> (seq: Int64, hash: String) {
        let line = String(decoding: bytes, as: UTF8.self)
        guard let record = AuditRecord.parse(line: line[...]) else {
            throw .runtime("the last record of \(auditPath) is damaged, so the chain cannot be extended",
                           hint: "run `shipctl audit verify` to see which record, and restore the log from a copy")
        }
        return (record.seq, record.hash)
    }

    private func quarantineTornTail(_ fd: Int32, from offset: Int64, bytes: [UInt8]) throws(ShipctlError) {
        if let torn = FileHandle(forWritingAtPath: tornPath) ?? (FileManager.default.createFile(atPath: tornPath, contents: nil) ? FileHandle(forWritingAtPath: tornPath) : nil) {
            torn.seekToEndOfFile()
            torn.write(Data(bytes + [UInt8(ascii: "\n")]))
            try? torn.synchronize()
            try? torn.close()
        }
        guard ftruncate(fd, off_t(offset)) == 0 else { throw ioError("cannot truncate the torn last line of \(auditPath)") }
    }

    public func records() throws(ShipctlError) -> [AuditRecord] {
        guard let data = FileManager.default.contents(atPath: auditPath) else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { AuditRecord.parse(line: $0) }
    }

    public func verify() throws(ShipctlError) -> AuditVerification {
        guard let data = FileManager.default.contents(atPath: auditPath) else {
            return AuditVerification(recordCount: 0, firstBad: nil, lastHash: AuditRecord.genesis)
        }
        let text = String(decoding: data, as: UTF8.self)
        var expectedPrev = AuditRecord.genesis
        var expectedSeq: Int64 = 1
        var count = 0
        var lineNumber = 0
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() {
            lineNumber = index + 1
            if line.isEmpty && index == lines.count - 1 { break }
            let seq = Self.field(line, "\"seq\":").flatMap { Int64($0.prefix { $0.isNumber }) }
            guard let (body, hash) = AuditRecord.split(line: line) else {
                let torn = index == lines.count - 1
                return AuditVerification(recordCount: count, firstBad: (lineNumber, seq, torn
                    ? "the last line is incomplete (a write was cut short); the \(count) records before it verify"
                    : "the line is not a complete audit record"), lastHash: expectedPrev)
            }
            let prev = Self.field(body[...], "\"prev\":\"").map { String($0.prefix(64)) }
            if prev != expectedPrev {
                return AuditVerification(recordCount: count, firstBad: (lineNumber, seq, "its prev does not match the hash of the record before it"), lastHash: expectedPrev)
            }
            if AuditRecord.chainHash(prev: expectedPrev, body: body) != hash {
                return AuditVerification(recordCount: count, firstBad: (lineNumber, seq, "its content does not match its hash (the record was changed)"), lastHash: expectedPrev)
            }
            if seq != expectedSeq {
                return AuditVerification(recordCount: count, firstBad: (lineNumber, seq, "expected seq \(expectedSeq)"), lastHash: expectedPrev)
            }
            expectedPrev = hash
            expectedSeq += 1
            count += 1
        }
        return AuditVerification(recordCount: count, firstBad: nil, lastHash: expectedPrev)
    }

    /// The text after the last top-level occurrence of `key` (keys are sorted and
    /// quotes inside strings are escaped, so the last match is the record's own).
    private static func field(_ line: Substring, _ key: String) -> Substring? {
        guard let range = line.range(of: key, options: .backwards) else { return nil }
        return line[range.upperBound...]
    }

    // MARK: locks

    public func acquireLock(service: String, env: String, holder: LockHolder) throws(ShipctlError) -> LockAcquisition {
        let path = lockPath(service: service, env: env)
        try ensureDirectory((path as NSString).deletingLastPathComponent)
        guard let content = try? JSONEncoder().encode(holder) else { throw ioError("cannot encode the lock holder") }
        var previous: LockHolder?
        for _ in 0..<3 {
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
            if fd >= 0 {
                let written = content.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                fsync(fd)
                close(fd)
                guard written == content.count else { throw ioError("cannot write \(path)") }
                return previous.map { .tookOver(from: $0) } ?? .acquired
            }
            guard errno == EEXIST else { throw ioError("cannot create \(path)") }
            guard let current = lockHolder(service: service, env: env) else { continue }
            guard current.isGoneFromThisHost else {
                throw .locked(service: service, env: env, holder: current.description)
            }
            // Move the dead holder's lock aside; only one contender's rename succeeds.
            let aside = path + ".stale.\(getpid())"
            if rename(path, aside) == 0 {
                unlink(aside)
                previous = current
            }
        }
        let holderText = lockHolder(service: service, env: env)?.description ?? "unknown holder"
        throw .locked(service: service, env: env, holder: holderText)
    }

    public func releaseLock(service: String, env: String, holder: LockHolder) {
        let path = lockPath(service: service, env: env)
        if lockHolder(service: service, env: env) == holder { unlink(path) }
    }

    public func lockHolder(service: String, env: String) -> LockHolder? {
        guard let data = FileManager.default.contents(atPath: lockPath(service: service, env: env)) else { return nil }
        return try? JSONDecoder().decode(LockHolder.self, from: data)
    }

    // MARK: helpers

    private func ensureDirectory(_ path: String) throws(ShipctlError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw .runtime("cannot create the state directory \(path): \(error.localizedDescription)",
                           hint: "check `state.dir` in shipctl.yaml and the folder's permissions")
        }
    }

    private func ioError(_ what: String) -> ShipctlError {
        .runtime("\(what): \(String(cString: strerror(errno)))", hint: "check the state directory \(directory.path) and the disk")
    }
}
