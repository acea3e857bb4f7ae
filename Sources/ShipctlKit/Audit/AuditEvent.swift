import Crypto
import Foundation

/// What the engine says happened; the state store turns it into a chained `AuditRecord`.
public struct AuditEvent: Sendable {
    public enum Phase: String, Sendable, Codable {
        case intent, result, info
    }

    public var deployment: String
    public var service: String
    public var env: String
    public var step: String
    public var phase: Phase
    public var action: String
    public var args: [String: JSONValue]
    public var outcome: String?
    public var durationMs: Int64?
    /// Who took the action, when not the process writing the record: a record kept in the spool is written
    /// later, often by another run, and keeps the actor and CI run that acted.
    public var actor: Actor?

    public init(
        deployment: String, service: String, env: String, step: String, phase: Phase, action: String,
        args: [String: JSONValue] = [:], outcome: String? = nil, durationMs: Int64? = nil
    ) {
        self.deployment = deployment
        self.service = service
        self.env = env
        self.step = step
        self.phase = phase
        self.action = action
        self.args = args
        self.outcome = outcome
        self.durationMs = durationMs
    }
}
