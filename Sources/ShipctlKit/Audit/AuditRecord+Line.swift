import Foundation

extension AuditRecord {
    /// The record as people read it, who acted included: incident triage asks who first.
    /// Seq, time, actor (and CI run), service/env, deployment, [step], action, phase, outcome, arguments.
    public var line: String {
        let who = actor + (run.map { " (run \($0))" } ?? "")
        let what = "[\(event.step)] \(action) \(phase.rawValue)"
        let ended = outcome.map { " → \($0)" } ?? ""
        let arguments = args.isEmpty ? "" : " " + JSONValue.object(args).canonical
        return "\(seq) \(ts) \(who) \(service)/\(env) \(deployment) \(what)\(ended)\(arguments)"
    }
}
