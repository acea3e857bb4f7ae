import Foundation

/// How the reporter shows each event: a line for people and a `--json` event for machines (its kind and
/// fields are listed in `docs/events.md`), a warning, or nothing. An announced action shows when it is
/// done; one that failed shows through the error that ends or reverts the run.
extension DeploymentEvent {
    enum Shown {
        case event(kind: String, message: String, fields: [String: JSONValue])
        case warning(String)
    }

    /// Whether this event ends the watch of the step in flight: its lines are grouped up to here.
    var endsStep: Bool {
        switch self {
        case .gateFailed, .insufficientEvidence, .promoted, .held, .reverted, .ended: true
        default: false
        }
    }

    func shown(in entry: JournalEntry) -> Shown? {
        switch entry.stage {
        case .announced, .failed: return nil
        case .happened, .done: break
        }
        let service = entry.service
        let env = entry.env
        switch self {
        case .started(let target, let stable, let canary, let steps, _):
            return .event(
                kind: "start",
                message: "promoting \(service)/\(env): \(target) from version \(stable) to \(canary) in steps "
                    + steps.joined(separator: ", "),
                fields: [
                    "deployment": .string(entry.deployment), "stable": .string(stable), "canary": .string(canary),
                    "service": .string(service), "env": .string(env),
                ])
        case .forecast(let traffic, let steps, let unknown):
            let message =
                traffic.map { "evidence at \($0): " + steps.joined(separator: "; ") }
                ?? "evidence: how long it will take is unknown: \(unknown ?? "no traffic read")"
            var fields: [String: JSONValue] = ["steps": .array(steps.map(JSONValue.string))]
            fields["traffic"] = traffic.map(JSONValue.string)
            fields["unknown"] = unknown.map(JSONValue.string)
            return .event(kind: "forecast", message: message, fields: fields)
        case .nothingToPromote(let target, let version):
            return .event(
                kind: "noop",
                message: "\(target): version \(version) already serves 100% of traffic; nothing to promote",
                fields: ["service": .string(service), "env": .string(env), "version": .string(version)])
        case .resumed(let live, let from, let stable, let canary):
            return .event(
                kind: "resume",
                message: "resuming deployment \(entry.deployment) of \(service)/\(env) (\(stable) → \(canary)): "
                    + "live traffic \(live.description); continuing from \(from)",
                fields: [
                    "deployment": .string(entry.deployment), "live": live.json, "stable": .string(stable),
                    "canary": .string(canary), "service": .string(service), "env": .string(env),
                ])
        case .lockTakenOver(let previous):
            return .warning("took over the lock of \(previous), whose process is gone")
        case .shifted(let step, let steps, let weight, let pause, let target, _, _, let split):
            guard let split else { return nil }
            return .event(
                kind: "shift", message: "\(Self.stepLabel(step, of: steps)): \(target) now \(split.description)",
                fields: [
                    "step": .int(Int64(step)), "steps": .int(Int64(steps)), "weight": .number(weight),
                    "pause_ms": .int(pause.milliseconds), "split": split.json,
                ])
        case .smokeTested(let test, _, _, let passed, let cancelled, let detail, _):
            // A test cut short by a signal says nothing about the version.
            guard !cancelled else { return nil }
            return .event(
                kind: "smoke", message: "smoke \(test): \(passed ? "pass" : "FAIL") (\(detail))",
                fields: ["test": .string(test), "passed": .bool(passed), "detail": .string(detail)])
        case .evaluated(let step, let evaluations, let confirming, let leftMs):
            return .event(
                kind: "analysis",
                message: "\(step) [\(leftMs / 1000)s left]\(confirming ? " confirming" : "") "
                    + evaluations.map(\.summary).joined(separator: "; "),
                fields: [
                    "step": .string(step), "metrics": .array(evaluations.map { .object($0.auditArgs) }),
                    "confirming": .bool(confirming), "left_ms": .int(leftMs),
                ])
        case .waitingForEvidence(let step, let waitingFor, let upTo, let then):
            return .event(
                kind: "waiting",
                message:
                    "\(step): the pause is over but the judge lacks evidence (\(waitingFor.joined(separator: "; "))); "
                    + "waiting up to \(DurationParser.format(upTo)) more (\(then))",
                fields: ["step": .string(step), "max_extension_ms": .int(upTo.milliseconds), "then": .string(then)])
        case .gateFailed(let canary, let reason):
            return .event(
                kind: "gate-failed", message: "canary of version \(canary) stopped: \(reason)",
                fields: ["reason": .string(reason)])
        case .reverted(let target, let to, _, _):
            return .event(kind: "revert", message: "reverted \(target): 100% on \(to)", fields: ["to": .string(to)])
        case .promoted(let version, _):
            return .event(
                kind: "finish", message: "\(service)/\(env): version \(version) serves 100% and is now last-known-good",
                fields: ["outcome": "succeeded", "version": .string(version)])
        case .terraformPlanned(let headline, let plan):
            return .event(kind: "terraform-plan", message: "terraform plan: \(headline)", fields: plan)
        case .rolledBack(let kind, let target, let to, _, _):
            guard case .done(let durationMs) = entry.stage else { return nil }
            return .event(
                kind: kind, message: "\(target): all traffic on version \(to) (\(durationMs) ms)",
                fields: [
                    "service": .string(service), "env": .string(env), "to": .string(to),
                    "duration_ms": .int(durationMs),
                ])
        case .verified(let target, let to, let split):
            return .event(
                kind: "verified", message: "verified: \(target) serves 100% on version \(to)",
                fields: ["split": split.json])
        case .flagFlipped(let flip, let step, _):
            let message =
                step == ManualFlags.step
                ? "\(service)/\(env): \(flip.kind) \(flip.name) set to \(flip.value)" : "flag set: \(flip.displayName)"
            return .event(kind: "flag", message: message, fields: flip.auditArgs)
        case .previewUp(let pr, _, let expiresAt, let outputs, _):
            let shown = outputs.keys.sorted().map {
                "\($0) = \(outputs[$0]?.stringValue ?? outputs[$0]?.canonical ?? "")"
            }
            return .event(
                kind: "preview",
                message: "preview pr-\(pr) of \(service) is up until \(Timestamp.format(expiresAt))"
                    + (shown.isEmpty ? "" : ":\n  " + shown.joined(separator: "\n  ")),
                fields: [
                    "service": .string(service), "pr": .int(Int64(pr)),
                    "expires_at": .string(Timestamp.format(expiresAt)), "outputs": .object(outputs),
                ])
        case .previewDown(let pr, let workspace, _):
            return .event(
                kind: "preview-down",
                message: "preview pr-\(pr) of \(service) is gone: resources, workspace \(workspace) and secrets",
                fields: ["service": .string(service), "pr": .int(Int64(pr))])
        case .nothingToTearDown(let pr):
            return .event(
                kind: "noop", message: "preview pr-\(pr) of \(service) does not exist; nothing to tear down",
                fields: ["service": .string(service), "pr": .int(Int64(pr))])
        case .notified(let delivery):
            let tries = delivery.tries == 1 ? "1 try" : "\(delivery.tries) tries"
            guard delivery.sent else {
                return .warning(
                    "could not notify \(delivery.target) at \(delivery.host) after \(tries): \(delivery.error ?? "no answer")"
                )
            }
            return .event(
                kind: "notify",
                message: "notified \(delivery.target) at \(delivery.host) (\(delivery.outcome.rawValue))",
                fields: [
                    "target": .string(delivery.target), "host": .string(delivery.host),
                    "delivery": .string(delivery.id), "tries": .int(Int64(delivery.tries)),
                ])
        case .logUnwritten(let why):
            return .warning(why)
        case .insufficientEvidence, .held, .ended, .terraformApplied, .versionPublished, .previewSecretPut,
            .terraformDestroyed:
            return nil
        }
    }
}
