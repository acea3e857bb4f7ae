import Foundation

/// What a reader of the journal gets: one event of one deployment, and where it stands.
public struct JournalEntry: Sendable {
    /// Something that happened, or an action announced before it is taken and then its end.
    public enum Stage: Sendable, Equatable {
        case happened
        /// Written to the log before the action runs (write-ahead).
        case announced
        case done(durationMs: Int64)
        case failed(error: String, durationMs: Int64)
    }

    public let deployment: String
    public let service: String
    public let env: String
    public let event: DeploymentEvent
    public let stage: Stage

    /// The records the audit log keeps of this entry, in order, before the recorder redacts them: an
    /// intent, a result (ok, or failed with the error) or what happened; none for a moment it does not keep.
    public var auditEvents: [AuditEvent] {
        event.auditForms.map { form in
            var args = form.args
            let phase: AuditEvent.Phase
            let outcome: String?
            let durationMs: Int64?
            switch stage {
            case .happened: (phase, outcome, durationMs) = (.info, form.outcome, form.durationMs)
            case .announced: (phase, outcome, durationMs) = (.intent, nil, nil)
            case .done(let took): (phase, outcome, durationMs) = (.result, "ok", took)
            case .failed(let error, let took):
                args["error"] = .string(error)
                (phase, outcome, durationMs) = (.result, "failed", took)
            }
            return AuditEvent(
                deployment: deployment, service: service, env: env, step: form.step, phase: phase,
                action: form.action, args: args, outcome: outcome, durationMs: durationMs)
        }
    }
}
