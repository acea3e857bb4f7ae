import Foundation

/// The audit actions the engine writes; the derived state reads the same names.
public enum AuditAction {
    public static let deploymentStart = "deployment.start"
    public static let deploymentFinish = "deployment.finish"
    public static let terraformApply = "terraform.apply"
    public static let versionPublish = "version.publish"
    public static let trafficShift = "traffic.shift"
    public static let trafficComplete = "traffic.complete"
    public static let trafficRevert = "traffic.revert"
    public static let smoke = "smoke"
    public static let analysis = "analysis"
    public static let flagSet = "flag.set"
    public static let rollback = "rollback"
    public static let lockTakeover = "lock.takeover"
    public static let deploymentResume = "deployment.resume"
    /// A cancelled promote that left traffic where it was (`--on-cancel=hold`).
    public static let deploymentHold = "deployment.hold"
    public static let previewUp = "preview.up"
    public static let previewDown = "preview.down"
    public static let previewSecret = "preview.secret"
    public static let terraformDestroy = "terraform.destroy"
}

/// How a deployment ended, as written in `deployment.finish`'s outcome.
public enum DeploymentOutcome: String, Sendable {
    case succeeded
    case rolledBack = "rolled-back"
    case failed
    case cancelled
}

/// State derived from the audit log for one service/env (SPEC §3): nothing else
/// is stored, so a killed process leaves nothing that can disagree with the log.
public struct DeploymentHistory: Sendable {
    public struct InFlight: Sendable {
        public var deployment: String
        public var stable: String
        public var canary: String
        public var lastAction: String
        public var lastPhase: AuditEvent.Phase
        public var lastWeight: Double?
        /// The step label of the last record, e.g. "step 2/3".
        public var lastStep: String
        public var startedAt: String
        /// Set once the deployment started putting traffic back on stable; resuming it finishes that revert.
        public var revertReason: String?
    }

    /// Versions that served all traffic and were good, oldest first.
    public private(set) var knownGood: [String] = []
    public private(set) var inFlight: InFlight?
    public private(set) var events: [AuditRecord] = []

    public init(records: [AuditRecord], service: String, env: String) {
        for record in records where record.service == service && record.env == env {
            events.append(record)
            apply(record)
        }
    }

    public var lastKnownGood: String? { knownGood.last }

    /// The version `rollback` goes to: the newest known-good version that is not live now.
    public func rollbackTarget(live: String?) -> String? {
        if let inFlight { return inFlight.stable }
        let current = live ?? lastKnownGood
        return knownGood.last { $0 != current }
    }

    private mutating func apply(_ record: AuditRecord) {
        let args = record.args
        switch record.action {
        case AuditAction.deploymentStart:
            let stable = args["stable"]?.stringValue ?? ""
            remember(stable)
            inFlight = InFlight(deployment: record.deployment, stable: stable, canary: args["canary"]?.stringValue ?? "",
                                lastAction: record.action, lastPhase: record.phase, lastWeight: 0, lastStep: record.step, startedAt: record.ts)
        case AuditAction.deploymentFinish:
            if record.outcome == DeploymentOutcome.succeeded.rawValue, let version = args["version"]?.stringValue {
                remember(version)
            }
            if inFlight?.deployment == record.deployment { inFlight = nil }
        case AuditAction.rollback where record.phase == .result && record.outcome == "ok":
            if let from = args["from"]?.stringValue, from != args["to"]?.stringValue { knownGood.removeAll { $0 == from } }
            if let to = args["to"]?.stringValue { remember(to) }
            inFlight = nil
        default:
            if var current = inFlight, current.deployment == record.deployment {
                current.lastAction = record.action
                current.lastPhase = record.phase
                current.lastStep = record.step
                if record.action == AuditAction.trafficRevert, current.revertReason == nil {
                    current.revertReason = args["reason"]?.stringValue ?? "reverting"
                }
                if record.action == AuditAction.trafficShift || record.action == AuditAction.trafficComplete,
                   let weight = args["weight"]?.doubleValue { current.lastWeight = weight }
                inFlight = current
            }
        }
    }

    private mutating func remember(_ version: String) {
        guard !version.isEmpty else { return }
        knownGood.removeAll { $0 == version }
        knownGood.append(version)
    }
}
