import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The default state store: `audit.jsonl`, `locks/SERVICE.ENV.lock` and a
/// derived-state snapshot per service/env under `cache/`, in the configured
/// state directory. It serves one machine and, in practice, one checkout: its
/// locks are per service/env whatever the target, which only ever errs towards
/// refusing, while the history is read for the scope's target alone. Appends
/// hold an exclusive `flock` so concurrent shipctl processes never interleave lines, and each record is
/// `fsync`ed before `append` returns, i.e. before the action it announces.
/// Files are created 0600 and folders 0700; the log must be a regular file,
/// never followed through a symlink.
public struct LocalStateStore: StateStore {
    public let directory: URL
    private let actor: Actor
    private let now: @Sendable () -> Date

    public init(directory: URL, actor: Actor = .current(), now: @escaping @Sendable () -> Date = Date.init) {
        self.directory = directory
        self.actor = actor
        self.now = now
    }

    public var location: String { directory.path }
    public var spansMachines: Bool { false }

    public var auditPath: String { directory.appendingPathComponent("audit.jsonl").path }
    public var tornPath: String { directory.appendingPathComponent("audit.torn").path }

    public func lockPath(service: String, env: String) -> String {
        directory.appendingPathComponent("locks").appendingPathComponent("\(service).\(env).lock").path
    }

    public func snapshotPath(service: String, env: String) -> String {
        directory.appendingPathComponent("cache").appendingPathComponent("\(service).\(env).json").path
    }

    // MARK: audit log

    @discardableResult
    public func append(_ event: AuditEvent) async throws(ShipctlError) -> AuditRecord {
        try ensureDirectory(directory.path)
        let fd = try openLog(O_RDWR | O_CREAT | O_APPEND)
        defer { Glibc.close(fd) }
        guard flock(fd, LOCK_EX) == 0 else { throw ioError("cannot lock \(auditPath)") }
        defer { flock(fd, LOCK_UN) }
        let tail = try readTail(fd)
        let (record, line) = AuditRecord.make(
            event: event, seq: tail.seq + 1, prev: tail.hash, actor: (event.actor ?? actor).name,
            run: (event.actor ?? actor).run, now: now())
        try writeAll(fd, Array((line + "\n").utf8))
        guard fsync(fd) == 0 else { throw ioError("cannot flush \(auditPath) to disk") }
        return record
    }

    /// Opens the log without following a symlink; it must be a regular file.
    /// Returns -1 for a log that does not exist yet when not creating it.
    private func openLog(_ flags: Int32) throws(ShipctlError) -> Int32 {
        let fd = open(auditPath, flags | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            if errno == ENOENT && flags & O_CREAT == 0 { return -1 }
            if errno == ELOOP {
                throw .runtime(
                    "\(auditPath) is a symbolic link; shipctl writes its audit log only to a regular file",
                    hint: "replace the link with the log itself, or point `state.dir` at the folder that holds it")
            }
            throw ioError("cannot open \(auditPath)")
        }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            Glibc.close(fd)
            throw .runtime(
                "\(auditPath) is not a regular file", hint: "move it away; shipctl keeps its audit log in a plain file")
        }
        return fd
    }

    /// The seq and hash of the last complete record. A final record whose newline
    /// is missing but which is whole gets its newline back; a torn final line (a
    /// write cut short) is moved to `audit.torn` so the chain can go on.
    private func readTail(_ fd: Int32) throws(ShipctlError) -> (seq: Int64, hash: String) {
        let size = try fileSize(fd)
        if size == 0 { return (0, AuditRecord.genesis) }
        var window = min(size, 65_536)
        while true {
            let buffer = try readExactly(fd, count: Int(window), at: size - window)
            var end = buffer.count
            if buffer.last != UInt8(ascii: "\n") {
                guard let lastNewline = buffer.lastIndex(of: UInt8(ascii: "\n")) ?? (window == size ? -1 : nil) else {
                    window = min(size, window * 4)
                    continue
                }
                let finalLine = buffer[(lastNewline + 1)...]
                if ChainVerifier.isSelfConsistent(finalLine) {
                    try writeAll(fd, [UInt8(ascii: "\n")])
                    return try parseTail(finalLine)
                }
                try quarantineTornTail(fd, from: size - window + Int64(lastNewline + 1), bytes: Array(finalLine))
                end = lastNewline + 1
                if end == 0 { return (0, AuditRecord.genesis) }
            }
            let content = buffer[..<(end - 1)]
            guard let start = content.lastIndex(of: UInt8(ascii: "\n")).map({ $0 + 1 }) else {
                if window < size {
                    window = min(size, window * 4)
                    continue
                }
                return try parseTail(content[...])
            }
            return try parseTail(content[start...])
        }
    }

    private func parseTail(_ bytes: ArraySlice<UInt8>) throws(ShipctlError) -> (seq: Int64, hash: String) {
        guard let record = AuditLine(bytes).record else {
            throw .runtime(
                "the last record of \(auditPath) is damaged, so the chain cannot be extended",
                hint: "run `shipctl audit verify` to see which record, and restore the log from a copy")
        }
        return (record.seq, record.hash)
    }

    private func quarantineTornTail(_ fd: Int32, from offset: Int64, bytes: [UInt8]) throws(ShipctlError) {
        let torn = open(tornPath, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if torn >= 0 {
            _ = try? writeAll(torn, bytes + [UInt8(ascii: "\n")])
            fsync(torn)
            Glibc.close(torn)
        }
        guard ftruncate(fd, off_t(offset)) == 0 else {
            throw ioError("cannot truncate the torn last line of \(auditPath)")
        }
    }

    public func scan(_ visit: (AuditLine) throws(ShipctlError) -> Void) async throws(ShipctlError) -> AuditVerification
    {
        var verifier = ChainVerifier()
        var firstBad: (seq: Int64?, reason: String)?
        let fd = try openLog(O_RDONLY)
        guard fd >= 0 else { return AuditVerification(verifier, firstBad: nil) }
        defer { Glibc.close(fd) }
        try forEachLine(fd, from: 0) { line, _, terminated throws(ShipctlError) in
            if let bad = verifier.check(line) {
                firstBad =
                    terminated
                    ? bad
                    : (
                        bad.seq,
                        "the last line is incomplete (a write was cut short); "
                            + Counted.verifyingBefore(verifier.count)
                    )
                return false
            }
            try visit(AuditLine(line))
            return true
        }
        return AuditVerification(verifier, firstBad: firstBad)
    }

    /// Where a snapshot of one service/env's history was taken: the chain up to
    /// `offset` (ending in the record `seq`/`hash`) of the file `inode` was
    /// verified and folded in. shipctl only ever appends in place, so a log that
    /// was replaced (what editors and scripts do) has another inode and is read
    /// again from the start; an overwrite in place before the snapshot is left
    /// to `audit verify`, which always reads everything.
    private struct Snapshot: Codable {
        var inode: UInt64
        var offset: Int64
        var seq: Int64
        var hash: String
        var history: DeploymentHistory
    }

    public func history(_ scope: StateScope) async throws(ShipctlError) -> DeploymentHistory {
        let (service, env) = (scope.service, scope.env)
        let fd = try openLog(O_RDONLY)
        guard fd >= 0 else { return DeploymentHistory(target: scope.target) }
        defer { Glibc.close(fd) }
        let inode = try fileIdentity(fd)
        // A snapshot of another target's history (the configuration now names another function) is not this one's.
        var snapshot =
            loadSnapshot(service: service, env: env, fd: fd, inode: inode)
            .flatMap { $0.history.target == scope.target ? $0 : nil }
            ?? Snapshot(
                inode: inode, offset: 0, seq: 0, hash: AuditRecord.genesis,
                history: DeploymentHistory(target: scope.target))
        var verifier = ChainVerifier(after: snapshot.hash, seq: snapshot.seq)
        var history = snapshot.history
        let serviceKey = Array("\"service\":\"".utf8)
        let serviceValue = Array(service.utf8)
        let envKey = Array("\"env\":\"".utf8)
        let envValue = Array(env.utf8)
        let start = snapshot.offset
        try forEachLine(fd, from: start) { line, end, terminated in
            if let bad = verifier.check(line) {
                if terminated {
                    history.untrustedFrom =
                        "record \(bad.seq.map { "seq \($0)" } ?? "on line \(verifier.lineNumber)") does not verify (\(bad.reason))"
                }
                return false
            }
            let audit = AuditLine(line)
            if audit.field(envKey, is: envValue), audit.field(serviceKey, is: serviceValue) { history.add(audit) }
            if terminated {
                snapshot = Snapshot(
                    inode: inode, offset: end, seq: verifier.lastSeq, hash: verifier.lastHash, history: history)
            }
            return true
        }
        if snapshot.offset > start && history.untrustedFrom == nil {
            saveSnapshot(snapshot, service: service, env: env)
        }
        return history
    }

    /// A snapshot is used only while the record it ends on is still in the log,
    /// at the same place and with the same hash; otherwise the history is rebuilt.
    private func loadSnapshot(service: String, env: String, fd: Int32, inode: UInt64) -> Snapshot? {
        let path = snapshotPath(service: service, env: env)
        let file = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard file >= 0 else { return nil }
        defer { Glibc.close(file) }
        guard let size = try? fileSize(file), size < 1_048_576,
            let data = try? readExactly(file, count: Int(size), at: 0),
            let snapshot = try? JSONDecoder().decode(Snapshot.self, from: Data(data)), snapshot.inode == inode,
            snapshot.offset > 0,
            let logSize = try? fileSize(fd), snapshot.offset <= logSize
        else { return nil }
        let window = min(snapshot.offset, 65_536)
        guard let tail = try? readExactly(fd, count: Int(window), at: snapshot.offset - window),
            tail.last == UInt8(ascii: "\n")
        else { return nil }
        let body = tail[..<(tail.count - 1)]
        let lineStart = body.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? (window == snapshot.offset ? 0 : -1)
        guard lineStart >= 0 else { return nil }
        let line = body[lineStart...]
        guard ChainVerifier.isSelfConsistent(line),
            ChainVerifier.storedHash(line)?.elementsEqual(snapshot.hash.utf8) == true,
            AuditLine(line).seq == snapshot.seq
        else { return nil }
        return snapshot
    }

    /// Best effort: a snapshot is only a shortcut, rebuilt whenever it is missing or stale.
    private func saveSnapshot(_ snapshot: Snapshot, service: String, env: String) {
        let path = snapshotPath(service: service, env: env)
        guard (try? ensureDirectory((path as NSString).deletingLastPathComponent)) != nil,
            let data = try? JSONEncoder().encode(snapshot)
        else { return }
        let temporary = path + ".\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        let written = (try? writeAll(fd, Array(data))) != nil
        Glibc.close(fd)
        if !written || rename(temporary, path) != 0 { unlink(temporary) }
    }

    /// Reads the log from `offset` in bounded chunks, handing each line (without
    /// its newline), the offset after it, and whether it ended in a newline to
    /// `body` until it returns false.
    private func forEachLine(
        _ fd: Int32, from offset: Int64,
        _ body: (ArraySlice<UInt8>, Int64, Bool) throws(ShipctlError) -> Bool
    ) throws(ShipctlError) {
        let size = try fileSize(fd)
        var chunk = [UInt8](repeating: 0, count: Int(min(1 << 20, max(4096, size - offset + 1))))
        var buffer: [UInt8] = []
        var bufferOffset = offset
        while true {
            let kept = buffer.count
            let count = chunk.withUnsafeMutableBytes {
                pread(fd, $0.baseAddress, $0.count, off_t(bufferOffset + Int64(kept)))
            }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw ioError("cannot read \(auditPath)") }
            buffer.append(contentsOf: chunk[0..<count])
            var lineStart = 0
            var searchFrom = kept
            while let newline = buffer[searchFrom...].firstIndex(of: UInt8(ascii: "\n")) {
                guard try body(buffer[lineStart..<newline], bufferOffset + Int64(newline + 1), true) else { return }
                lineStart = newline + 1
                searchFrom = lineStart
            }
            if count == 0 {
                if lineStart < buffer.count {
                    _ = try body(buffer[lineStart...], bufferOffset + Int64(buffer.count), false)
                }
                return
            }
            buffer.removeFirst(lineStart)
            bufferOffset += Int64(lineStart)
        }
    }

    // MARK: locks

    /// Every change to a lock file happens under an exclusive `flock` on this
    /// guard, so of several processes finding the same dead holder exactly one
    /// takes the lock over, and a lock file never exists without its content.
    private func withLockGuard<T>(service: String, env: String, _ body: (String) throws(ShipctlError) -> T)
        throws(ShipctlError) -> T
    {
        let path = lockPath(service: service, env: env)
        try ensureDirectory((path as NSString).deletingLastPathComponent)
        let guardFD = open(path + ".guard", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard guardFD >= 0 else { throw ioError("cannot open \(path).guard") }
        defer { Glibc.close(guardFD) }
        while flock(guardFD, LOCK_EX) != 0 {
            guard errno == EINTR else { throw ioError("cannot lock \(path).guard") }
        }
        defer { flock(guardFD, LOCK_UN) }
        return try body(path)
    }

    public func acquireLock(_ scope: StateScope, holder: LockHolder) async throws(ShipctlError) -> LockAcquisition {
        let (service, env) = (scope.service, scope.env)
        guard let content = try? JSONEncoder().encode(holder) else { throw ioError("cannot encode the lock holder") }
        return try withLockGuard(service: service, env: env) { path throws(ShipctlError) in
            var previous: String?
            if let existing = readLockFile(path) {
                if let current = existing.holder {
                    guard current.isGoneFromThisHost else {
                        throw .locked(service: service, env: env, holder: current.description)
                    }
                    previous = current.description
                } else {
                    previous = "an unreadable lock file (\(existing.size) bytes) left behind"
                }
                unlink(path)
            }
            // Written whole to a private file, then linked into place: the lock
            // appears atomically with its content, or not at all.
            let temporary = path + ".\(getpid()).tmp"
            unlink(temporary)
            let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw ioError("cannot create \(temporary)") }
            defer { unlink(temporary) }
            let written = Result { () throws(ShipctlError) in try writeAll(fd, Array(content)) }
            fsync(fd)
            Glibc.close(fd)
            try written.get()
            guard link(temporary, path) == 0 else {
                if errno == EEXIST, let current = readLockFile(path)?.holder {
                    throw .locked(service: service, env: env, holder: current.description)
                }
                throw ioError("cannot create \(path)")
            }
            return previous.map { .tookOver(from: $0) } ?? .acquired
        }
    }

    public func releaseLock(_ scope: StateScope, holder: LockHolder) async {
        _ = try? withLockGuard(service: scope.service, env: scope.env) { path in
            if readLockFile(path)?.holder == holder { unlink(path) }
        }
    }

    public func lockHolder(_ scope: StateScope) async -> LockHolder? {
        readLockFile(lockPath(service: scope.service, env: scope.env))?.holder
    }

    private func readLockFile(_ path: String) -> (holder: LockHolder?, size: Int)? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return errno == ENOENT ? nil : (nil, 0) }
        defer { Glibc.close(fd) }
        guard let size = try? fileSize(fd), size < 65_536, let bytes = try? readExactly(fd, count: Int(size), at: 0)
        else { return (nil, 0) }
        return (try? JSONDecoder().decode(LockHolder.self, from: Data(bytes)), bytes.count)
    }

    // MARK: helpers

    private func ensureDirectory(_ path: String) throws(ShipctlError) {
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .runtime(
                "cannot create the state directory \(path): \(error.localizedDescription)",
                hint: "check `state.dir` in shipctl.yaml and the folder's permissions")
        }
    }

    private func fileIdentity(_ fd: Int32) throws(ShipctlError) -> UInt64 {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ioError("cannot stat \(auditPath)") }
        return UInt64(info.st_ino)
    }

    private func fileSize(_ fd: Int32) throws(ShipctlError) -> Int64 {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ioError("cannot stat \(auditPath)") }
        return Int64(info.st_size)
    }

    private func readExactly(_ fd: Int32, count: Int, at offset: Int64) throws(ShipctlError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let read = buffer.withUnsafeMutableBytes {
                pread(fd, $0.baseAddress! + done, count - done, off_t(offset + Int64(done)))
            }
            if read < 0 && errno == EINTR { continue }
            guard read > 0 else { throw ioError("cannot read \(auditPath)") }
            done += read
        }
        return buffer
    }

    private func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(ShipctlError) {
        var done = 0
        while done < bytes.count {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, bytes.count - done) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw ioError("cannot write to \(auditPath)") }
            done += written
        }
    }

    private func ioError(_ what: String) -> ShipctlError {
        .runtime(
            "\(what): \(String(cString: strerror(errno)))",
            hint: "check the state directory \(directory.path) and the disk")
    }
}
