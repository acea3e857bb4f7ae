import Foundation

/// How the audit log keeps each event: the action, step, arguments and outcome of its records, none for a
/// moment the log does not keep. These are the log's format — `DeploymentHistory`, `report`, the job
/// summary and every log already written read them — so a name here never changes.
extension DeploymentEvent {
    struct AuditForm {
        var action: String
        var step: String
        var args: [String: JSONValue] = [:]
        /// The outcome of something that happened; an announced action's result says ok or failed instead.
        var outcome: String? = nil
        var durationMs: Int64? = nil
    }

    var auditForms: [AuditForm] {
        switch self {
        case .started(let target, let stable, let canary, let steps, let dryRun):
            return [
                AuditForm(
                    action: AuditAction.deploymentStart, step: "start",
                    args: [
                        "stable": .string(stable), "canary": .string(canary), "target": .string(target),
                        "steps": .array(steps.map(JSONValue.string)), "dry_run": .bool(dryRun),
                    ])
            ]
        case .resumed(let live, let from, let stable, let canary):
            return [
                AuditForm(
                    action: AuditAction.deploymentResume, step: "resume",
                    args: [
                        "live": live.json, "from": .string(from), "stable": .string(stable), "canary": .string(canary),
                    ])
            ]
        case .lockTakenOver(let previous):
            return [AuditForm(action: AuditAction.lockTakeover, step: "lock", args: ["previous": .string(previous)])]
        case .shifted(let step, let steps, let weight, let pause, _, let stable, let canary, _):
            let label = Self.stepLabel(step, of: steps)
            guard weight < 100 else {
                return [
                    AuditForm(
                        action: AuditAction.trafficComplete, step: label,
                        args: ["weight": 100, "canary": .string(canary), "stable": .string(stable)])
                ]
            }
            var args: [String: JSONValue] = [
                "weight": .number(weight), "canary": .string(canary), "stable": .string(stable),
            ]
            if pause > .zero { args["pause"] = .string(DurationParser.format(pause)) }
            return [AuditForm(action: AuditAction.trafficShift, step: label, args: args)]
        case .smokeTested(let test, let step, let version, let passed, let cancelled, let detail, let durationMs):
            return [
                AuditForm(
                    action: AuditAction.smoke, step: step,
                    args: ["test": .string(test), "detail": .string(detail), "version": .string(version)],
                    outcome: passed ? "pass" : (cancelled ? "cancelled" : "fail"), durationMs: durationMs)
            ]
        case .evaluated(let step, let evaluations, let confirming, _):
            return evaluations.map { evaluation in
                var args = evaluation.auditArgs
                if confirming { args["confirming"] = .bool(true) }
                return AuditForm(
                    action: AuditAction.analysis, step: step, args: args, outcome: evaluation.verdict.rawValue)
            }
        case .insufficientEvidence(let step, let metrics, let reason, let action, let ceiling):
            let verdict = ceiling ? "ceiling" : "insufficient evidence"
            return metrics.map { metric in
                AuditForm(
                    action: AuditAction.analysis, step: step,
                    args: [
                        "metric": .string(metric), "verdict": .string(verdict), "reason": .string(reason),
                        ceiling ? "on_ceiling" : "on_insufficient": .string(action),
                    ],
                    outcome: verdict)
            }
        case .reverted(_, let to, let from, let reason):
            return [
                AuditForm(
                    action: AuditAction.trafficRevert, step: "revert",
                    args: ["to": .string(to), "from": .string(from), "reason": .string(reason)])
            ]
        case .held(let step, let reason, let live, let outcome):
            return [
                AuditForm(
                    action: AuditAction.deploymentHold, step: step,
                    args: ["reason": .string(reason), "live": .string(live)], outcome: outcome)
            ]
        case .promoted(let version, let previous):
            return [
                AuditForm(
                    action: AuditAction.deploymentFinish, step: "finish",
                    args: ["version": .string(version), "previous": .string(previous)],
                    outcome: DeploymentOutcome.succeeded.rawValue)
            ]
        case .ended(let step, let version, let reason, let canary, let outcome):
            var args: [String: JSONValue] = ["version": .string(version)]
            if let reason { args["reason"] = .string(reason) }
            if let canary { args["canary"] = .string(canary) }
            return [AuditForm(action: AuditAction.deploymentFinish, step: step, args: args, outcome: outcome.rawValue)]
        case .terraformApplied(let step, let plan):
            return [AuditForm(action: AuditAction.terraformApply, step: step, args: plan)]
        case .versionPublished:
            return [AuditForm(action: AuditAction.versionPublish, step: "version")]
        case .rolledBack(let kind, let target, let to, let from, let reason):
            var args: [String: JSONValue] = ["to": .string(to), "from": .string(from), "target": .string(target)]
            if let reason { args["reason"] = .string(reason) }
            return [AuditForm(action: AuditAction.rollback, step: kind, args: args)]
        case .flagFlipped(_, let step, let args):
            return [AuditForm(action: AuditAction.flagSet, step: step, args: args)]
        case .previewSecretPut(let name, let tokenBudget):
            return [
                AuditForm(
                    action: AuditAction.previewSecret, step: "preview",
                    args: ["name": .string(name), "token_budget": .int(Int64(tokenBudget))])
            ]
        case .previewUp(let pr, let workspace, let expiresAt, let outputs, let secrets):
            return [
                AuditForm(
                    action: AuditAction.previewUp, step: "preview",
                    args: [
                        "pr": .int(Int64(pr)), "workspace": .string(workspace),
                        "expires_at": .string(Timestamp.format(expiresAt)), "outputs": .object(outputs),
                        "secrets": .array(secrets.map(JSONValue.string)),
                    ], outcome: "ok")
            ]
        case .terraformDestroyed(let workspace):
            return [
                AuditForm(
                    action: AuditAction.terraformDestroy, step: "preview", args: ["workspace": .string(workspace)])
            ]
        case .previewDown(let pr, let workspace, let secrets):
            return [
                AuditForm(
                    action: AuditAction.previewDown, step: "preview",
                    args: [
                        "pr": .int(Int64(pr)), "workspace": .string(workspace),
                        "secrets": .array(secrets.map(JSONValue.string)),
                    ], outcome: "ok")
            ]
        case .notified(let delivery):
            var args: [String: JSONValue] = [
                "target": .string(delivery.target), "host": .string(delivery.host), "delivery": .string(delivery.id),
                "on": .string(delivery.outcome.rawValue), "tries": .int(Int64(delivery.tries)),
            ]
            if let status = delivery.status { args["status"] = .int(Int64(status)) }
            if let error = delivery.error { args["error"] = .string(error) }
            return [
                AuditForm(
                    action: AuditAction.notify, step: "notify", args: args, outcome: delivery.sent ? "sent" : "failed")
            ]
        case .nothingToPromote, .forecast, .waitingForEvidence, .gateFailed, .terraformPlanned, .verified,
            .nothingToTearDown, .logUnwritten:
            return []
        }
    }

    /// "step 2/3": how a canary step is named in the log and in output.
    static func stepLabel(_ step: Int, of steps: Int) -> String { "step \(step)/\(steps)" }
}
