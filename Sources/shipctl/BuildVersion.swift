import ShipctlKit

/// What `shipctl --version` says: the release, and the commit the binary was built from (stamped by the
/// BuildCommit plugin; empty when it was built outside a git checkout), so a bug report or an audit
/// question can name the exact code that ran.
enum BuildVersion {
    static let release = "0.1.0"

    /// `0.1.0 (1a2b3c4d5e6f)`, `0.1.0 (1a2b3c4d5e6f, modified)` when built with uncommitted changes, `0.1.0`.
    static var line: String {
        guard !buildCommit.isEmpty else { return release }
        return "\(release) (\(buildCommit.prefix(12))\(buildTreeModified ? ", modified" : ""))"
    }

    static var fields: JSONValue {
        guard !buildCommit.isEmpty else { return ["version": .string(release)] }
        return ["version": .string(release), "commit": .string(buildCommit), "modified": .bool(buildTreeModified)]
    }
}
