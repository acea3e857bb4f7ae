import Foundation

/// Changes a file that other processes read and change too (a flagd file that
/// a daemon watches and several `shipctl` runs flip at once): read, change and
/// write happen under one exclusive lock, so no update is lost; the new bytes
/// go to a temporary file that is renamed over the old one, so a reader never
/// sees half a file; the file keeps its mode and owner; and a symbolic link
/// stays a link — the file it points to is the one that changes.
enum SharedFileUpdate {
    /// How long to wait for another writer to finish.
    static let lockWait: Duration = .seconds(10)

    /// `what` names the file in messages ("flag file").
    static func update(_ path: String, what: String, _ change: (Data) throws(ShipctlError) -> Data) throws(ShipctlError)
    {
        guard let resolved = realpath(path, nil) else {
            throw .runtime("\(what) \(path) does not exist")
        }
        let target = String(cString: resolved)
        free(resolved)
        let lockPath = target + ".lock"
        let lock = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard lock >= 0 else {
            throw .runtime(
                "cannot open the lock file \(lockPath) (errno \(errno))",
                hint: "make the folder of \(target) writable for this user")
        }
        defer { close(lock) }
        let deadline = ContinuousClock.now + lockWait
        while flock(lock, LOCK_EX | LOCK_NB) != 0 {
            guard ContinuousClock.now < deadline else {
                throw .runtime(
                    "another process has held \(lockPath) for \(DurationParser.format(lockWait))",
                    hint: "find it with `fuser \(lockPath)` and try again once it has finished")
            }
            usleep(20_000)
        }
        defer { flock(lock, LOCK_UN) }

        guard let current = try CappedFile.read(target, what: what) else {
            throw .runtime("cannot read \(what) \(target)")
        }
        let bytes = try change(current)
        var status = stat()
        guard stat(target, &status) == 0 else {
            throw .runtime("cannot read the mode of \(what) \(target) (errno \(errno))")
        }

        let temporary = target + ".shipctl-\(UUID().uuidString.prefix(8))"
        let file = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard file >= 0 else { throw .runtime("cannot write beside \(what) \(target) (errno \(errno))") }
        var renamed = false
        defer { if !renamed { unlink(temporary) } }
        let written = bytes.withUnsafeBytes { write(file, $0.baseAddress, $0.count) }
        // The owner can only be kept by a process allowed to give files away; the mode always.
        _ = fchown(file, status.st_uid, status.st_gid)
        let kept = fchmod(file, status.st_mode & 0o7777)
        let synced = fsync(file)
        close(file)
        guard written == bytes.count, kept == 0, synced == 0 else {
            throw .runtime("cannot write beside \(what) \(target) (errno \(errno))")
        }
        guard rename(temporary, target) == 0 else {
            throw .runtime("cannot replace \(what) \(target) (errno \(errno))")
        }
        renamed = true
        let folder = open((target as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 {
            fsync(folder)
            close(folder)
        }
    }
}
