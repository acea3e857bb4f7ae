import Foundation

/// DORA's delivery figures read from the audit log in one pass, keeping a few facts per deployment, never
/// the records themselves (a team's log holds hundreds of thousands).
///
/// What each figure counts here:
/// - a deployment is a promote (`deployment.start`) that ended in the window as succeeded, rolled back
///   or failed; a cancelled one (a signal, `abort`) is neither a release nor a failure;
/// - deployment frequency: succeeded deployments per day of the window (from `since`, or the first
///   deployment, to `until`; at least one day); DORA's bands: elite daily or more, high weekly, medium
///   monthly, low less;
/// - change fail rate: failed deployments over deployments;
/// - failed deployment recovery time: from the failed deployment's first traffic (its first
///   `traffic.shift` result) to traffic back on a good version — its own revert's result, or else the
///   next succeeded deployment or rollback of that service in that environment;
/// - deployment rework rate: unplanned deployments — `shipctl rollback` runs, and promotes that follow a
///   failed one of the same service and environment — over deployments and rollbacks together;
/// - lead time needs the commit time of each version, which the log does not record yet: null.
public struct DeliveryStats: Sendable {
    public var since: Date?
    public var until: Date
    public var all: DeliveryFigures
    /// Per service and environment, sorted.
    public var services: [(service: String, env: String, figures: DeliveryFigures)]

    /// A service in an environment: what the figures are grouped by.
    struct Target: Hashable, Comparable {
        var service: String
        var env: String

        static func < (left: Target, right: Target) -> Bool {
            (left.service, left.env) < (right.service, right.env)
        }
    }

    /// One promote as the figures need it.
    struct Deployment {
        var target: Target
        var started: Date
        var exposed: Date?
        var restored: Date?
        var ended: Date?
        var outcome: String?
    }

    /// One rollback's service, environment and end.
    struct Rollback {
        var target: Target
        var at: Date
    }

    /// Reads the log once; `until` is usually now. With `service` or `env`, only theirs count.
    public static func read(
        from store: any StateStore, since: Date?, until: Date, service: String? = nil, env: String? = nil
    ) async throws(ShipctlError) -> DeliveryStats {
        var collector = Collector()
        _ = try await store.scan { line in
            if service == nil || line.field("service") == service, env == nil || line.field("env") == env {
                collector.add(line)
            }
        }
        return collector.stats(since: since, until: until)
    }

    /// The pass over the log: only the records that start, expose, restore or end something are parsed.
    public struct Collector {
        var open: [String: Deployment] = [:]
        var finished: [Deployment] = []
        var rollbacks: [Rollback] = []

        public init() {}

        public mutating func add(_ line: AuditLine) {
            guard let action = line.action, Self.relevant.contains(action), let record = line.record,
                let at = Timestamp.parse(record.ts)
            else { return }
            let id = record.deployment
            switch (action, record.phase) {
            case (AuditAction.deploymentStart, _):
                open[id] = Deployment(target: Target(service: record.service, env: record.env), started: at)
            case (AuditAction.trafficShift, .result) where record.outcome == "ok":
                if open[id]?.exposed == nil { open[id]?.exposed = at }
            case (AuditAction.trafficRevert, .result) where record.outcome == "ok":
                open[id]?.restored = at
            case (AuditAction.rollback, .result) where record.outcome == "ok" && record.step == "rollback":
                rollbacks.append(Rollback(target: Target(service: record.service, env: record.env), at: at))
            case (AuditAction.deploymentFinish, _):
                guard var deployment = open.removeValue(forKey: id) else { return }
                deployment.ended = at
                deployment.outcome = record.outcome
                finished.append(deployment)
            default: break
            }
        }

        static let relevant: Set<String> = [
            AuditAction.deploymentStart, AuditAction.trafficShift, AuditAction.trafficRevert, AuditAction.rollback,
            AuditAction.deploymentFinish,
        ]

        public func stats(since: Date?, until: Date) -> DeliveryStats {
            let inWindow = finished.filter { deployment in
                deployment.outcome != DeploymentOutcome.cancelled.rawValue
                    && since.map { deployment.started >= $0 } ?? true && deployment.started <= until
            }
            let rollbacksInWindow = rollbacks.filter { rollback in
                since.map { rollback.at >= $0 } ?? true && rollback.at <= until
            }
            let start = since ?? inWindow.map(\.started).min() ?? until
            let days = max(until.timeIntervalSince(start) / 86_400, 1)
            let deploymentsByTarget = Dictionary(grouping: inWindow, by: \.target)
            let rollbacksByTarget = Dictionary(grouping: rollbacksInWindow, by: \.target)
            let services = Set(deploymentsByTarget.keys).union(rollbacksByTarget.keys).sorted().map { target in
                (
                    service: target.service, env: target.env,
                    figures: Self.figures(
                        deploymentsByTarget[target] ?? [], rollbacks: rollbacksByTarget[target] ?? [], days: days)
                )
            }
            return DeliveryStats(
                since: since, until: until, all: Self.figures(inWindow, rollbacks: rollbacksInWindow, days: days),
                services: services)
        }

        /// The figures of deployments and rollbacks in one window of `days` days.
        static func figures(_ deployments: [Deployment], rollbacks: [Rollback], days: Double) -> DeliveryFigures {
            let failed = deployments.filter { Self.failed($0) }
            let succeeded = deployments.count - failed.count
            var recoveries: [Double] = []
            var rework = rollbacks.count
            // Per service and environment, in order: what restored a failure, and what followed one.
            let rollbacksByTarget = Dictionary(grouping: rollbacks, by: \.target)
            for (target, promotes) in Dictionary(grouping: deployments, by: \.target) {
                let ordered = promotes.sorted { $0.started < $1.started }
                let restorers =
                    (ordered.filter { !Self.failed($0) }.compactMap(\.ended)
                    + (rollbacksByTarget[target] ?? []).map(\.at)).sorted()
                for (index, deployment) in ordered.enumerated() {
                    if index > 0, Self.failed(ordered[index - 1]) { rework += 1 }
                    guard Self.failed(deployment) else { continue }
                    let exposed = deployment.exposed ?? deployment.started
                    let restored =
                        deployment.restored ?? restorers.first { $0 >= (deployment.ended ?? deployment.started) }
                    if let restored { recoveries.append(max(0, restored.timeIntervalSince(exposed))) }
                }
            }
            recoveries.sort()
            let total = deployments.count + rollbacks.count
            return DeliveryFigures(
                deployments: deployments.count, succeeded: succeeded, failed: failed.count,
                rollbacks: rollbacks.count, perDay: Double(succeeded) / days,
                changeFailRate: deployments.isEmpty ? 0 : Double(failed.count) / Double(deployments.count),
                recoveryMedianSeconds: Self.nearestRank(recoveries, 0.5),
                recoveryP90Seconds: Self.nearestRank(recoveries, 0.9),
                reworkRate: total == 0 ? 0 : Double(rework) / Double(total))
        }

        static func failed(_ deployment: Deployment) -> Bool {
            [DeploymentOutcome.rolledBack.rawValue, DeploymentOutcome.failed.rawValue].contains(deployment.outcome)
        }

        /// The nearest-rank percentile of sorted values: the smallest value with at least `fraction` of them at
        /// or below it.
        static func nearestRank(_ sorted: [Double], _ fraction: Double) -> Double? {
            guard !sorted.isEmpty else { return nil }
            let rank = Int((fraction * Double(sorted.count)).rounded(.up))
            return sorted[min(max(rank, 1), sorted.count) - 1]
        }
    }
}
