import Foundation

/// A file from outside read whole only when it is small enough: a flag file a job or a repository hands
/// over may be anything, and parsed whole it takes several times its size in memory.
enum CappedFile {
    /// The most a file shipctl parses may hold; the same cap as an HTTP answer or a program's output.
    static let limit = 16 << 20

    /// The bytes of `path`, or nil when it cannot be read; throws when it holds more than `limit`.
    static func read(_ path: String, what: String) throws(ShipctlError) -> Data? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: limit + 1)) ?? Data()
        guard data.count <= limit else {
            throw .runtime(
                "\(what) \(path) holds more than \(limit >> 20) MiB; shipctl reads no more than that",
                hint: "check that the path points at the file it should")
        }
        return data
    }
}
