import Foundation

/// One moment of a deployment, a rollback, an abort, a preview or a flag flip, as every reader of the
/// journal gets it: the audit log, the reporter (terminal, `--json`, GitHub Actions) and whoever reads
/// next. Each case holds what happened, not how it is shown; each reader decides that
/// (`DeploymentEvent+Audit`, `DeploymentEvent+Report`).
public enum DeploymentEvent: Sendable {
    // A promote and a resume.
    case started(target: String, stable: String, canary: String, steps: [String], dryRun: Bool)
    case nothingToPromote(target: String, version: String)
    /// How long each evidence step will likely take at stable's traffic, read as the canary starts (per step
    /// label, what a good version and a regression would see), or why that cannot be said.
    case forecast(traffic: String?, steps: [String], unknown: String?)
    case resumed(live: TrafficSplit, from: String, stable: String, canary: String)
    case lockTakenOver(previous: String)
    /// Announced before the call; `split` is the provider's answer, known once it is done.
    case shifted(
        step: Int, steps: Int, weight: Double, pause: Duration, target: String, stable: String, canary: String,
        split: TrafficSplit?)
    case smokeTested(
        test: String, step: String, version: String, passed: Bool, cancelled: Bool, detail: String, durationMs: Int64)
    case evaluated(step: String, evaluations: [MetricEvaluation], confirming: Bool, leftMs: Int64)
    /// `then`: what ends the wait and what follows it ("max_extension, then on_insufficient: revert").
    case waitingForEvidence(step: String, waitingFor: [String], upTo: Duration, then: String)
    /// The evidence did not come in time: after `max_extension` (`on_insufficient` decides) or, for a step
    /// with `evidence`, at the canary's ceiling (`on_ceiling` decides); `action` is what that key says.
    case insufficientEvidence(step: String, metrics: [String], reason: String, action: String, ceiling: Bool)
    case gateFailed(canary: String, reason: String)
    case reverted(target: String, to: String, from: String, reason: String)
    case held(step: String, reason: String, live: String, outcome: String)
    case promoted(version: String, previous: String)
    /// The end of a deployment that did not promote: reverted, cancelled, rolled back or aborted.
    case ended(step: String, version: String, reason: String?, canary: String?, outcome: DeploymentOutcome)

    // Infrastructure, in a promote and in a preview.
    case terraformPlanned(headline: String, plan: [String: JSONValue])
    case terraformApplied(step: String, plan: [String: JSONValue])
    case versionPublished(version: String?)

    // `rollback` and `abort`: the one traffic call, and the split it answered with.
    case rolledBack(kind: String, target: String, to: String, from: String, reason: String?)
    case verified(target: String, to: String, split: TrafficSplit)

    /// A flag flip: beside a revert (`on_failure`, `rollback`, `abort`) or by hand (`flags set`, with `by`
    /// and the reason in `args`).
    case flagFlipped(flip: FlagFlip, step: String, args: [String: JSONValue])

    // Previews.
    case previewSecretPut(name: String, tokenBudget: Int)
    case previewUp(pr: Int, workspace: String, expiresAt: Date, outputs: [String: JSONValue], secrets: [String])
    case terraformDestroyed(workspace: String)
    case previewDown(pr: Int, workspace: String, secrets: [String])
    case nothingToTearDown(pr: Int)

    /// A notification of how the deployment ended, after its end: sent, or given up on.
    case notified(NotificationDelivery)

    /// The log could not take a record of something already done: the readers hear why and where it waits.
    case logUnwritten(String)
}
