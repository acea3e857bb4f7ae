import Foundation

/// What a notification tells of one deployment, gathered from its journal as it happens: the versions,
/// the last metric that failed, and how it ended. Read by `Notifier` once the deployment is over.
final class DeploymentStory: JournalReader, @unchecked Sendable {
    /// How a deployment ended, with what a person needs to judge it at a glance.
    struct Ending: Sendable {
        var deployment: String
        var service: String
        var env: String
        var outcome: NotifyOutcome
        /// The version that serves all traffic now.
        var version: String
        var stable: String?
        var canary: String?
        var reason: String?
        /// The failed evaluation that stopped the canary, when a metric did.
        var deciding: MetricEvaluation?
    }

    private let lock = NSLock()
    private var stable: String?
    private var canary: String?
    private var failing: MetricEvaluation?
    private var last: Ending?

    var ending: Ending? { lock.withLock { last } }

    func read(_ entry: JournalEntry) {
        switch entry.stage {
        case .happened, .done: break
        case .announced, .failed: return
        }
        lock.withLock {
            switch entry.event {
            case .started(_, let stable, let canary, _, _), .resumed(_, _, let stable, let canary):
                (self.stable, self.canary) = (stable, canary)
            case .evaluated(_, let evaluations, _, _):
                if let failed = evaluations.last(where: { $0.verdict == .fail && !$0.dryRun }) { failing = failed }
            case .promoted(let version, let previous):
                last = ending(entry, .succeeded, version: version, reason: nil)
                last?.stable = previous
                last?.deciding = nil
            case .rolledBack(_, _, let to, let from, let reason):
                (stable, canary) = (to, from)
                last = ending(entry, .rolledBack, version: to, reason: reason)
            case .ended(_, let version, let reason, let canary, let outcome):
                if let canary { self.canary = canary }
                last = ending(entry, NotifyOutcome(outcome), version: version, reason: reason)
            default:
                break
            }
        }
    }

    private func ending(_ entry: JournalEntry, _ outcome: NotifyOutcome, version: String, reason: String?) -> Ending {
        Ending(
            deployment: entry.deployment, service: entry.service, env: entry.env, outcome: outcome, version: version,
            stable: stable, canary: canary, reason: reason, deciding: outcome == .succeeded ? nil : failing)
    }
}
