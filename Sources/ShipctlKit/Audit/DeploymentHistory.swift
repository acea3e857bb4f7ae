import Foundation

/// State derived from the audit log for one service/env on one target: nothing else is
/// stored, so a killed process leaves nothing that can disagree with the log.
/// Built line by line: only the records that change it are parsed (starts,
/// finishes, rollbacks, and the last few of an unfinished deployment), so a
/// long log is read at the speed of a byte scan. Codable, so a store can keep
/// it as a snapshot next to the position in the chain it was built up to.
public struct DeploymentHistory: Sendable, Codable {
    public struct InFlight: Sendable, Codable {
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

    /// How many of the newest records `events` keeps.
    public static let recentCount = 5

    /// Versions that served all traffic and were good, oldest first.
    public private(set) var knownGood: [String] = []
    private var started: InFlight?
    /// Lines of the unfinished deployment that `inFlight` reads lazily: its first
    /// revert, its last weight change, and its last record.
    private var revertLine: String?
    private var weightLine: String?
    private var lastLine: String?
    private var recentLines: [String] = []
    /// Why records from some point on were not used: the first that does not verify.
    public var untrustedFrom: String?

    /// The target whose records decide; those naming another are left out, with every
    /// record of that target's deployments (`StateScope.target(_:owns:)`).
    public let target: String
    /// Deployments of other targets under the same names that have started and not finished.
    private var foreignDeployments: Set<String> = []

    public init(target: String = "") {
        self.target = target
    }

    /// The records a history is decided by; each names its target.
    public static let decisiveActions: Set<String> = [
        AuditAction.deploymentStart, AuditAction.deploymentFinish, AuditAction.rollback,
    ]

    public var lastKnownGood: String? { knownGood.last }

    /// The newest records, oldest first.
    public var events: [AuditRecord] { recentLines.compactMap { AuditLine($0).record } }

    /// The deployment that started and has not finished, as far as its last record tells.
    public var inFlight: InFlight? {
        guard var current = started else { return nil }
        if let record = revertLine.flatMap({ AuditLine($0).record }) {
            current.revertReason = record.args["reason"]?.stringValue ?? "reverting"
        }
        if let weight = weightLine.flatMap({ AuditLine($0).record })?.args["weight"]?.doubleValue {
            current.lastWeight = weight
        }
        if let record = lastLine.flatMap({ AuditLine($0).record }) {
            current.lastAction = record.action
            current.lastPhase = record.phase
            current.lastStep = record.step
        }
        return current
    }

    /// The version `rollback` goes to: the newest known-good version that is not live now.
    public func rollbackTarget(live: String?) -> String? {
        if let inFlight { return inFlight.stable }
        let current = live ?? lastKnownGood
        return knownGood.last { $0 != current }
    }

    /// Folds in the next record of this service/env; records of another target change nothing.
    public mutating func add(_ line: AuditLine) {
        let action = line.action
        let decisive = action.map(Self.decisiveActions.contains) == true ? line.record : nil
        if let decisive, !StateScope.target(target, owns: decisive.args[StateScope.targetArgument]?.stringValue) {
            if action == AuditAction.deploymentStart { foreignDeployments.insert(decisive.deployment) }
            if action == AuditAction.deploymentFinish { foreignDeployments.remove(decisive.deployment) }
            return
        }
        if decisive == nil, !foreignDeployments.isEmpty, let deployment = line.field("deployment"),
            foreignDeployments.contains(deployment)
        {
            return
        }
        recentLines.append(line.text)
        if recentLines.count > Self.recentCount { recentLines.removeFirst() }
        if let decisive, apply(decisive) { return }
        guard let started, line.field("deployment") == started.deployment else { return }
        let text = line.text
        lastLine = text
        if action == AuditAction.trafficRevert, revertLine == nil { revertLine = text }
        if action == AuditAction.trafficShift || action == AuditAction.trafficComplete { weightLine = text }
    }

    /// Applies a record that changes the history; false when it does not.
    private mutating func apply(_ record: AuditRecord) -> Bool {
        let args = record.args
        switch record.action {
        case AuditAction.deploymentStart:
            let stable = args["stable"]?.stringValue ?? ""
            remember(stable)
            setInFlight(
                InFlight(
                    deployment: record.deployment, stable: stable, canary: args["canary"]?.stringValue ?? "",
                    lastAction: record.action, lastPhase: record.phase, lastWeight: 0, lastStep: record.step,
                    startedAt: record.ts))
        case AuditAction.deploymentFinish:
            if record.outcome == DeploymentOutcome.succeeded.rawValue, let version = args["version"]?.stringValue {
                remember(version)
            }
            if started?.deployment == record.deployment { setInFlight(nil) }
        case AuditAction.rollback where record.phase == .result && record.outcome == "ok":
            if let from = args["from"]?.stringValue, from != args["to"]?.stringValue {
                knownGood.removeAll { $0 == from }
            }
            if let to = args["to"]?.stringValue { remember(to) }
            setInFlight(nil)
        default:
            return false
        }
        return true
    }

    private mutating func setInFlight(_ flight: InFlight?) {
        started = flight
        revertLine = nil
        weightLine = nil
        lastLine = nil
    }

    private mutating func remember(_ version: String) {
        guard !version.isEmpty else { return }
        knownGood.removeAll { $0 == version }
        knownGood.append(version)
    }
}
