import Foundation

/// `shipctl status` for one service/env: the split read live from the cloud,
/// and what the audit log says about deployments.
public struct StatusReport: Sendable {
    public var service: String
    public var env: String
    public var target: String
    public var live: Result<TrafficSplit, ShipctlError>
    public var history: DeploymentHistory
    public var lockHolder: LockHolder?

    public static func gather(
        config: ShipctlConfig, service: ServiceConfig, env: EnvironmentConfig,
        dependencies: Dependencies
    ) async throws(ShipctlError) -> StatusReport {
        let scope = ServiceParts.scope(for: service, env: env, config: config, dependencies: dependencies)
        let history = try await dependencies.store.history(scope)
        let provider = ServiceParts.provider(for: service, env: env, config: config, dependencies: dependencies)
        let target = provider.target
        let live: Result<TrafficSplit, ShipctlError>
        do {
            live = .success(try await provider.readSplit())
        } catch {
            live = .failure(error)
        }
        var report = StatusReport(
            service: service.name, env: env.name, target: target, live: live, history: history,
            lockHolder: await dependencies.store.lockHolder(scope))
        // A promote that ended while the split was read released its lock after the history was read: only a
        // deployment still in flight once the lock is seen free was interrupted.
        if report.interrupted { report.history = try await dependencies.store.history(scope) }
        return report
    }

    /// An in-flight deployment whose lock holder is gone was interrupted.
    public var interrupted: Bool {
        guard history.inFlight != nil else { return false }
        return lockHolder.map(\.isGoneFromThisHost) ?? true
    }

    public var text: String {
        var lines = ["\(service)/\(env) — \(target)"]
        switch live {
        case .success(let split): lines.append("  live traffic:     \(split.description)")
        case .failure(let error):
            // Cut while the lines are still lines, so a last line naming the error is kept; then one line.
            let reason = AnswerQuote.quote(error.description, limit: 600).split(separator: "\n")
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " ")
            lines.append("  live traffic:     unknown (\(reason))")
        }
        lines.append("  last-known-good:  \(history.lastKnownGood ?? "none recorded")")
        if let broken = history.untrustedFrom {
            lines.append("  audit log:        DOES NOT VERIFY: \(broken); later records are ignored")
        }
        if let inFlight = history.inFlight {
            let state = interrupted ? "INTERRUPTED" : "in flight"
            let described = InterruptedDeployment(inFlight, service: service, env: env, live: "")
            lines.append(
                "  deployment:       \(state) \(inFlight.deployment): \(inFlight.stable) → \(inFlight.canary), reached \(described.reached)"
            )
            if let reason = inFlight.revertReason { lines.append("                    was reverting: \(reason)") }
            if interrupted {
                lines.append(contentsOf: described.waysOn.map { "                    " + $0 })
            }
        } else {
            lines.append("  deployment:       none in flight")
        }
        if let lockHolder { lines.append("  lock:             held by \(lockHolder.description)") }
        let recent = history.events.suffix(5)
        if !recent.isEmpty {
            lines.append("  recent events:")
            for record in recent {
                lines.append(
                    "    \(record.ts) \(record.action) \(record.phase.rawValue)\(record.outcome.map { " \($0)" } ?? "")"
                )
            }
        }
        return lines.joined(separator: "\n")
    }

    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "event": "status", "service": .string(service), "env": .string(env), "target": .string(target),
            "last_known_good": history.lastKnownGood.map(JSONValue.string) ?? .null,
        ]
        switch live {
        case .success(let split): object["live"] = split.json
        case .failure(let error):
            object["live"] = .null
            object["live_error"] = .string(error.description)
        }
        if let inFlight = history.inFlight {
            object["in_flight"] = [
                "deployment": .string(inFlight.deployment), "stable": .string(inFlight.stable),
                "canary": .string(inFlight.canary),
                "last_action": .string(inFlight.lastAction), "last_phase": .string(inFlight.lastPhase.rawValue),
                "last_step": .string(inFlight.lastStep), "last_weight": .number(inFlight.lastWeight ?? 0),
                "reverting": .bool(inFlight.revertReason != nil), "interrupted": .bool(interrupted),
            ]
        } else {
            object["in_flight"] = .null
        }
        object["lock_holder"] = lockHolder.map { .string($0.description) } ?? .null
        object["audit_untrusted_from"] = history.untrustedFrom.map(JSONValue.string) ?? .null
        object["recent"] = .array(
            history.events.suffix(5).map { event in
                .object([
                    "ts": .string(event.ts), "action": .string(event.action), "phase": .string(event.phase.rawValue),
                    "outcome": event.outcome.map(JSONValue.string) ?? .null,
                ])
            })
        return .object(object)
    }
}
