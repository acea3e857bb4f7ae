import Foundation

/// `shipctl state migrate --from DIR`: moves a local audit log into the team
/// backend. The log must verify; it is copied line for line, so its seq and
/// hashes stay what the witnesses on the targets cite, which is why the backend
/// must not hold records yet.
public struct StateMigration: Sendable {
    public let source: URL
    public let target: any StateStore

    public init(source: URL, target: any StateStore) {
        self.source = source
        self.target = target
    }

    public struct Outcome: Sendable {
        public var records: Int
        public var head: String
    }

    public func run() async throws(ShipctlError) -> Outcome {
        let local = LocalStateStore(directory: source)
        guard FileManager.default.fileExists(atPath: local.auditPath) else {
            throw .usage(
                "there is no audit log at \(local.auditPath)",
                hint: "pass the state directory that holds audit.jsonl, e.g. --from .shipctl")
        }
        var lines: [String] = []
        let chain = try await local.scan { line in lines.append(line.text) }
        if let bad = chain.firstBad {
            throw .runtime(
                "the log in \(source.path) does not verify at \(bad.seq.map { "seq \($0)" } ?? "line \(bad.line)"): \(bad.reason); nothing was copied",
                hint: "restore the log from a trusted copy, then migrate it")
        }
        guard !lines.isEmpty else { throw .usage("the log in \(source.path) holds no records; nothing to migrate") }
        let deployments = Set(lines.compactMap { AuditLine($0).field("deployment") })
        var shared: Set<String> = []
        var existing = 0
        _ = try await target.scan { line in
            existing += 1
            if let deployment = line.field("deployment"), deployments.contains(deployment) { shared.insert(deployment) }
        }
        if !shared.isEmpty {
            throw .usage(
                "\(target.location) already holds records of \(shared.count) deployment(s) of this log, e.g. \(shared.sorted()[0]); it was migrated before",
                hint: "nothing was copied; `shipctl audit show` lists what the backend holds")
        }
        if existing > 0 {
            throw .usage(
                "\(target.location) already holds \(existing) records; a log is copied with its own seq and hashes (which the witnesses on the targets cite), so only into an empty backend",
                hint: "nothing was copied; migrate each local log before the team starts writing to the backend")
        }
        try await target.importChain(lines)
        return Outcome(records: lines.count, head: chain.lastHash)
    }
}
