import Foundation

/// DORA's delivery figures for a set of deployments (all of them, or one service in one environment).
public struct DeliveryFigures: Sendable, Equatable {
    /// Promotes that ended in the window, cancelled ones left out.
    public var deployments: Int
    public var succeeded: Int
    /// Rolled back by a gate, or failed.
    public var failed: Int
    /// `shipctl rollback` runs in the window.
    public var rollbacks: Int
    /// Succeeded deployments per day of the window.
    public var perDay: Double
    public var changeFailRate: Double
    /// Seconds from a failed deployment's first traffic to traffic back on a good version.
    public var recoveryMedianSeconds: Double?
    public var recoveryP90Seconds: Double?
    /// Rollbacks and deployments right after a failed one, of deployments and rollbacks together.
    public var reworkRate: Double

    public init(
        deployments: Int, succeeded: Int, failed: Int, rollbacks: Int, perDay: Double, changeFailRate: Double,
        recoveryMedianSeconds: Double?, recoveryP90Seconds: Double?, reworkRate: Double
    ) {
        self.deployments = deployments
        self.succeeded = succeeded
        self.failed = failed
        self.rollbacks = rollbacks
        self.perDay = perDay
        self.changeFailRate = changeFailRate
        self.recoveryMedianSeconds = recoveryMedianSeconds
        self.recoveryP90Seconds = recoveryP90Seconds
        self.reworkRate = reworkRate
    }

    /// DORA's frequency bands: on demand (daily or more), weekly, monthly, or less.
    public var band: String {
        if perDay >= 1 { return "elite" }
        if perDay >= 1.0 / 7 { return "high" }
        if perDay >= 1.0 / 30 { return "medium" }
        return "low"
    }

    /// The `stats --json` shape. No commit time is recorded yet, so the lead time is null.
    public var json: [String: JSONValue] {
        [
            "deployments": .int(Int64(deployments)), "succeeded": .int(Int64(succeeded)),
            "failed": .int(Int64(failed)), "rollbacks": .int(Int64(rollbacks)),
            "deployment_frequency": ["per_day": .number(Self.rounded(perDay)), "band": .string(band)],
            "change_fail_rate": .number(Self.rounded(changeFailRate)),
            "failed_deployment_recovery_time": [
                "median_s": recoveryMedianSeconds.map { .number(Self.rounded($0)) } ?? .null,
                "p90_s": recoveryP90Seconds.map { .number(Self.rounded($0)) } ?? .null,
            ],
            "deployment_rework_rate": .number(Self.rounded(reworkRate)),
            "lead_time": ["median_s": .null],
        ]
    }

    /// Lines people read, indented under a heading.
    public var lines: [String] {
        let recovery =
            recoveryMedianSeconds.map { median in
                let p90 = recoveryP90Seconds ?? median
                return "median \(DurationParser.format(.seconds(median))), p90 \(DurationParser.format(.seconds(p90)))"
            } ?? "no failed deployment"
        return [
            "\(deployments) deployment(s): \(succeeded) succeeded, \(failed) failed; \(rollbacks) rollback(s)",
            "deployment frequency: \(String(format: "%.2f", perDay))/day (\(band))",
            "change fail rate: \(Self.percent(changeFailRate))",
            "failed deployment recovery time: \(recovery)",
            "deployment rework rate: \(Self.percent(reworkRate))",
            "lead time: not recorded (the log holds no commit times)",
        ]
    }

    static func percent(_ rate: Double) -> String { String(format: "%.1f%%", rate * 100) }

    /// Three decimals: enough for a rate, and the same answer on every machine.
    static func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
}
