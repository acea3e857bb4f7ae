import Foundation

/// A value handed to a CLI through a file only its owner can read (`file://PATH`,
/// which the aws CLI reads for any parameter), because a command line is
/// readable by every local user in `/proc/PID/cmdline`.
enum PrivateValueFile {
    /// Writes `value` to a fresh 0600 file, runs `body` with its `file://` reference, and removes the file.
    static func with<T>(_ value: String, _ body: (String) async throws(ShipctlError) -> T) async throws(ShipctlError)
        -> T
    {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("shipctl-value-\(UUID().uuidString)")
            .path
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            throw .runtime(
                "cannot write a private temporary file in \(FileManager.default.temporaryDirectory.path) (errno \(errno))",
                hint: "point TMPDIR at a writable folder")
        }
        defer { unlink(path) }
        let bytes = Array(value.utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        guard written == bytes.count else { throw .runtime("cannot write a private temporary file at \(path)") }
        return try await body("file://\(path)")
    }
}
