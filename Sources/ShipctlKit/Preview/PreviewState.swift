import Foundation

/// One preview environment, as the audit log and the cloud tell it.
public struct PreviewState: Sendable {
    public var service: String
    public var pr: Int
    /// When it was made: from the log, else when its secret was created; unknown for a bare workspace.
    public var created: Date?
    public var updated: Date?
    /// From the log, else from its secret's `expires-at` tag; unknown for a bare workspace.
    public var expiresAt: Date?
    public var outputs: [String: JSONValue]
    /// Where it was found, in the order of `PreviewPlace.allCases`.
    public var foundIn: [PreviewPlace]

    public init(
        service: String, pr: Int, created: Date?, updated: Date?, expiresAt: Date?, outputs: [String: JSONValue],
        foundIn: [PreviewPlace]
    ) {
        self.service = service
        self.pr = pr
        self.created = created
        self.updated = updated
        self.expiresAt = expiresAt
        self.outputs = outputs
        self.foundIn = foundIn
    }

    public func age(at now: Date) -> TimeInterval? { created.map { now.timeIntervalSince($0) } }
    /// Past its expiry; a preview whose expiry nobody knows is not.
    public func isExpired(at now: Date) -> Bool { expiresAt.map { $0 <= now } ?? false }

    public func status(at now: Date) -> String {
        expiresAt == nil ? "expiry unknown" : isExpired(at: now) ? "expired" : "active"
    }

    /// Everything one place knows added to what is known already; the log's word comes first.
    public mutating func merge(_ other: PreviewState) {
        created = created ?? other.created
        updated = updated ?? other.updated
        // The log knows the expiry `up` set last; without it, the latest expiry any of the preview's own secrets
        // carries is the newest `up`'s (an earlier tag never shortens a preview's life).
        if !foundIn.contains(.log) || expiresAt == nil {
            expiresAt = [expiresAt, other.expiresAt].compactMap { $0 }.max()
        }
        if outputs.isEmpty { outputs = other.outputs }
        foundIn = PreviewPlace.allCases.filter { foundIn.contains($0) || other.foundIn.contains($0) }
    }

    public func json(at now: Date) -> JSONValue {
        [
            "service": .string(service), "pr": .int(Int64(pr)),
            "created": created.map { .string(Timestamp.format($0)) } ?? .null,
            "expires_at": expiresAt.map { .string(Timestamp.format($0)) } ?? .null,
            "age_seconds": age(at: now).flatMap { Checked.milliseconds($0) }.map { .int($0 / 1000) } ?? .null,
            "status": .string(status(at: now)), "outputs": .object(outputs),
            "found_in": .array(foundIn.map { .string($0.rawValue) }),
        ]
    }
}
