import Foundation

/// One preview environment as the audit log tells it.
public struct PreviewState: Sendable {
    public var service: String
    public var pr: Int
    public var created: Date
    public var updated: Date
    public var expiresAt: Date
    public var outputs: [String: JSONValue]

    public func age(at now: Date) -> TimeInterval { now.timeIntervalSince(created) }
    public func isExpired(at now: Date) -> Bool { expiresAt <= now }

    public func json(at now: Date) -> JSONValue {
        [
            "service": .string(service), "pr": .int(Int64(pr)),
            "created": .string(Timestamp.format(created)),
            "expires_at": .string(Timestamp.format(expiresAt)),
            "age_seconds": .int(Checked.milliseconds(age(at: now)).map { $0 / 1000 } ?? 0),
            "status": .string(isExpired(at: now) ? "expired" : "active"), "outputs": .object(outputs),
        ]
    }
}
