import Foundation

/// `status --watch`: follows each deployment the status showed in flight, printing the records it
/// adds to the log and each change of the live split as they come, until every one has ended. It
/// reads only the log and the cloud, so it follows a deployment running on another runner that
/// shares the log (the team backend) as well as one on this machine.
public struct StatusWatch: Sendable {
    /// What the status showed for one service and environment, with the configuration it describes.
    public struct Shown: Sendable {
        public var service: ServiceConfig
        public var env: EnvironmentConfig
        public var report: StatusReport

        public init(service: ServiceConfig, env: EnvironmentConfig, report: StatusReport) {
            self.service = service
            self.env = env
            self.report = report
        }
    }

    public let config: ShipctlConfig
    public let dependencies: Dependencies
    public let reporter: Reporter
    public let interval: Duration

    public init(config: ShipctlConfig, dependencies: Dependencies, reporter: Reporter, interval: Duration) {
        self.config = config
        self.dependencies = dependencies
        self.reporter = reporter
        self.interval = interval
    }

    /// One deployment being followed.
    private struct Followed {
        var shown: Shown
        let deployment: String
        /// The newest record already printed.
        var seen: Int64
        var live: String
        var problem: String?

        var name: String { "\(shown.report.service)/\(shown.report.env)" }
    }

    /// Follows what `shown` has in flight until each deployment ends. Returns when all succeeded (or
    /// nothing was in flight); else throws what the endings mean: an interrupted one first (exit 5), then
    /// a reverted one (3), then a failed one (1).
    public func follow(_ shown: [Shown]) async throws(ShipctlError) {
        var endings: [ShipctlError] = []
        var following: [Followed] = []
        for entry in shown {
            guard let inFlight = entry.report.history.inFlight else { continue }
            if entry.report.interrupted {
                endings.append(interruption(entry.report))
                continue
            }
            following.append(
                Followed(
                    shown: entry, deployment: inFlight.deployment, seen: entry.report.history.events.last?.seq ?? 0,
                    live: (try? entry.report.live.get())?.description ?? ""))
        }
        if following.isEmpty, endings.isEmpty {
            reporter.event("watch-end", "nothing in flight to watch", ["deployments": 0])
            return
        }
        for followed in following {
            reporter.event(
                "watching",
                "watching \(followed.name) \(followed.deployment) every \(DurationParser.format(interval)) until it ends "
                    + "(Ctrl-C stops watching, not the deployment)",
                [
                    "service": .string(followed.shown.report.service), "env": .string(followed.shown.report.env),
                    "deployment": .string(followed.deployment),
                ])
        }
        while !following.isEmpty {
            try? await dependencies.clock.sleep(interval)
            var still: [Followed] = []
            for var followed in following {
                if let ending = await look(&followed) {
                    if let ending { endings.append(ending) }
                } else {
                    still.append(followed)
                }
            }
            following = still
        }
        let order: [Int32] = [5, 3, 1]
        if let worst = order.lazy.compactMap({ code in endings.first { $0.exitCode == code } }).first { throw worst }
    }

    /// Reads the log and the split once more: prints what is new, and how the deployment ended once it has
    /// (nil while it runs; `.some(nil)` when it succeeded).
    private func look(_ followed: inout Followed) async -> ShipctlError?? {
        let report: StatusReport
        do {
            report = try await StatusReport.gather(
                config: config, service: followed.shown.service, env: followed.shown.env, dependencies: dependencies)
        } catch {
            // The log may be out of reach for a moment (a database restart): said once, and tried again.
            if followed.problem != error.description {
                reporter.warning("\(followed.name): cannot read the state now (\(error.description)); trying again")
                followed.problem = error.description
            }
            return nil
        }
        followed.problem = nil
        // Every record since the last look, in order: the history keeps only the newest few, and a burst
        // between two looks (a revert, its flag flips, the finish) must not be skipped.
        let (service, env, seen) = (report.service, report.env, followed.seen)
        let fresh =
            (try? await dependencies.store.records { line in
                (line.seq ?? 0) > seen && line.field("service") == service && line.field("env") == env
            }) ?? report.history.events.filter { $0.seq > seen }
        for record in fresh {
            reporter.event("audit-record", record.line, record.json.objectValue ?? [:])
            followed.seen = record.seq
        }
        if case .success(let split) = report.live, split.description != followed.live {
            followed.live = split.description
            reporter.event(
                "live-split", "\(followed.name) live traffic: \(split.description)",
                ["service": .string(report.service), "env": .string(report.env), "split": split.json])
        }
        if report.history.inFlight?.deployment == followed.deployment {
            return report.interrupted ? .some(interruption(report)) : nil
        }
        return .some(await ending(of: followed, report: report))
    }

    /// How a deployment that is no longer in flight ended, said, and as the error its exit code carries.
    private func ending(of followed: Followed, report: StatusReport) async -> ShipctlError? {
        var finish: AuditRecord?
        var rollback: AuditRecord?
        _ = try? await dependencies.store.scan { line in
            if line.field("deployment") == followed.deployment, line.action == AuditAction.deploymentFinish {
                finish = line.record
            }
        }
        if finish == nil { rollback = report.history.events.last { $0.action == AuditAction.rollback } }
        let outcome = finish?.outcome ?? (rollback != nil ? DeploymentOutcome.rolledBack.rawValue : "unknown")
        let reason = finish?.args["reason"]?.stringValue ?? rollback.map { _ in "`shipctl rollback`" }
        let serving = (try? report.live.get())?.description ?? "unknown"
        let message =
            "\(followed.name): deployment \(followed.deployment) ended \(outcome)"
            + (reason.map { ": \($0)" } ?? "") + "; live traffic: \(serving)"
        reporter.event(
            "watch-end", message,
            [
                "service": .string(report.service), "env": .string(report.env),
                "deployment": .string(followed.deployment), "outcome": .string(outcome),
                "reason": reason.map(JSONValue.string) ?? .null, "deployments": 1,
            ])
        switch outcome {
        case DeploymentOutcome.succeeded.rawValue:
            return nil
        case DeploymentOutcome.rolledBack.rawValue:
            return .gatesFailed(
                reason: "\(followed.name) \(reason ?? "was rolled back")",
                revertedTo: report.history.lastKnownGood ?? "unknown")
        default:
            return .runtime(
                message, hint: "see every record with `shipctl audit show --deployment \(followed.deployment)`")
        }
    }

    private func interruption(_ report: StatusReport) -> ShipctlError {
        let name = "\(report.service)/\(report.env)"
        let deployment = report.history.inFlight?.deployment ?? "unknown"
        reporter.event(
            "watch-end", "\(name): deployment \(deployment) is interrupted: nobody is running it now",
            [
                "service": .string(report.service), "env": .string(report.env), "deployment": .string(deployment),
                "outcome": "interrupted", "reason": .null, "deployments": 1,
            ])
        return .interrupted(
            "\(name): deployment \(deployment) is interrupted; continue it with "
                + "`shipctl resume --service \(report.service) --env \(report.env)` or revert it with "
                + "`shipctl abort --service \(report.service) --env \(report.env)`")
    }
}
