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
        // Works on bytes: a 100 000-record log must verify in well under a second.
        let bytes = [UInt8](data)
        let hashKey = Array(",\"hash\":\"".utf8), prevKey = Array("\"prev\":\"".utf8), seqKey = Array("\"seq\":".utf8)
        let suffixLength = hashKey.count + 64 + 2
        var expectedPrev = Array(AuditRecord.genesis.utf8)
        var expectedSeq: Int64 = 1
        var count = 0
        var lineNumber = 0
        var lineStart = 0
        func result(_ reason: String?, seq: Int64? = nil) -> AuditVerification {
            AuditVerification(recordCount: count, firstBad: reason.map { (lineNumber, seq, $0) }, lastHash: String(decoding: expectedPrev, as: UTF8.self))
        }
        while lineStart < bytes.count {
            lineNumber += 1
            let newline = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n"))
            let line = bytes[lineStart..<(newline ?? bytes.count)]
            lineStart = (newline ?? bytes.count) + 1
            let seq = Self.lastIndex(of: seqKey, in: line).flatMap { start in
                Int64(String(decoding: line[start...].prefix { $0 >= 48 && $0 <= 57 }, as: UTF8.self))
            }
            let suffixStart = line.endIndex - suffixLength
            guard newline != nil, line.count > suffixLength, line.last == UInt8(ascii: "}"), line[line.endIndex - 2] == UInt8(ascii: "\""),
                  line[suffixStart..<(suffixStart + hashKey.count)].elementsEqual(hashKey) else {
                return result(newline == nil
                    ? "the last line is incomplete (a write was cut short); the \(count) records before it verify"
                    : "the line is not a complete audit record", seq: seq)
            }
            let body = line[..<suffixStart]
            let storedHash = line[(suffixStart + hashKey.count)..<(line.endIndex - 2)]
            guard let prevStart = Self.lastIndex(of: prevKey, in: body), body.endIndex - prevStart >= 64,
                  body[prevStart..<(prevStart + 64)].elementsEqual(expectedPrev) else {
                return result("its prev does not match the hash of the record before it", seq: seq)
            }
            let computed = AuditRecord.chainHash(prev: expectedPrev, bodyWithoutClosingBrace: body)
            guard computed.utf8.elementsEqual(storedHash) else {
                return result("its content does not match its hash (the record was changed)", seq: seq)
            }
            guard seq == expectedSeq else { return result("expected seq \(expectedSeq)", seq: seq) }
            expectedPrev = Array(storedHash)
            expectedSeq += 1
            count += 1
        }
        return result(nil)
    }

    /// Where the value after the last occurrence of `key` starts. Keys are sorted
    /// and quotes inside strings are escaped, so the last match is the record's own field.
    private static func lastIndex(of key: [UInt8], in line: ArraySlice<UInt8>) -> Int? {
        guard line.count >= key.count else { return nil }
        var index = line.endIndex - key.count
        while index >= line.startIndex {
            if line[index] == key[0], line[index..<(index + key.count)].elementsEqual(key) { return index + key.count }
            index -= 1
        }
        return nil
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
