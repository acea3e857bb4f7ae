import Foundation
import ShipctlKit

/// A chained audit log of deployments at chosen times, whose delivery figures are known: the answers are
/// worked out by hand in `DeliveryStatsTests`.
public enum DeliveryLog {
    /// 1 November 2026, midnight UTC: the start of the window the sample is read in.
    public static let windowStart = Date(timeIntervalSince1970: 1_793_491_200)
    public static let windowEnd = windowStart.addingTimeInterval(10 * 86_400)

    /// `day` days and `minutes` minutes after the window's start.
    static func at(_ day: Double, _ minutes: Double) -> Date {
        windowStart.addingTimeInterval(day * 86_400 + minutes * 60)
    }

    /// The sample's lines, as the log holds them.
    ///
    /// api/prod: day 1 succeeds; day 2 is reverted 2 min after its first traffic; day 2 again succeeds (a
    /// deployment right after a failed one); day 3 fails without a revert and a rollback 30 min after its
    /// first traffic restores it; day 4 is cancelled. web/prod: day 5 succeeds, and one before the window.
    public static func sample() -> [String] {
        var events: [(Date, AuditEvent)] = []
        func add(
            _ deployment: String, _ service: String, _ at: Date, _ action: String, _ phase: AuditEvent.Phase,
            outcome: String? = nil, step: String = "step"
        ) {
            events.append(
                (
                    at,
                    AuditEvent(
                        deployment: deployment, service: service, env: "prod", step: step, phase: phase,
                        action: action, outcome: outcome)
                ))
        }
        func promote(
            _ id: String, _ service: String = "api", day: Double, minute: Double = 600, outcome: String,
            revertAfter: Double? = nil, endAfter: Double = 10
        ) {
            add(id, service, at(day, minute), AuditAction.deploymentStart, .info, step: "start")
            add(id, service, at(day, minute + 1), AuditAction.trafficShift, .result, outcome: "ok")
            add(id, service, at(day, minute + 2), AuditAction.trafficShift, .result, outcome: "ok")
            if let revertAfter {
                add(id, service, at(day, minute + 1 + revertAfter), AuditAction.trafficRevert, .result, outcome: "ok")
            }
            add(id, service, at(day, minute + endAfter), AuditAction.deploymentFinish, .info, outcome: outcome)
        }
        promote("web-before", "web", day: -5, outcome: "succeeded")
        promote("api-1", day: 1, outcome: "succeeded")
        promote("api-2", day: 2, outcome: "rolled-back", revertAfter: 2, endAfter: 3)
        promote("api-3", day: 2, minute: 720, outcome: "succeeded")
        promote("api-4", day: 3, outcome: "failed", endAfter: 5)
        add("api-rollback", "api", at(3, 631), AuditAction.rollback, .result, outcome: "ok", step: "rollback")
        promote("api-5", day: 4, outcome: "cancelled")
        promote("web-1", "web", day: 5, outcome: "succeeded")

        var lines: [String] = []
        var prev = AuditRecord.genesis
        for (seq, (at, event)) in events.sorted(by: { $0.0 < $1.0 }).enumerated() {
            let (record, line) = AuditRecord.make(
                event: event, seq: Int64(seq + 1), prev: prev, actor: "ci", run: nil, now: at)
            prev = record.hash
            lines.append(line)
        }
        return lines
    }
}
