import Foundation

public struct PromoteOptions: Sendable {
    public var version: String?
    public var dryRun: Bool
    public var yes: Bool
    /// `--on-cancel=hold`: on SIGINT/SIGTERM leave the split as it is (for `resume` or `abort` later) instead of reverting.
    public var holdOnCancel: Bool

    public init(version: String? = nil, dryRun: Bool = false, yes: Bool = false, holdOnCancel: Bool = false) {
        self.version = version
        self.dryRun = dryRun
        self.yes = yes
        self.holdOnCancel = holdOnCancel
    }
}

public struct PromoteOutcome: Sendable {
    public var deployment: String
    public var service: String
    public var env: String
    public var stable: String
    public var version: String
    public var outcome: DeploymentOutcome
}

/// `shipctl promote` for one service/env: terraform, version, pre-traffic smoke
/// tests, then the canary steps, each advanced only after its checks pass.
/// A failed gate is a transition to `.reverting`, not an exception.
public struct CanaryEngine: Sendable {
    public let config: ShipctlConfig
    public let service: ServiceConfig
    public let env: EnvironmentConfig
    private let dependencies: Dependencies

    public init(config: ShipctlConfig, service: ServiceConfig, env: EnvironmentConfig, dependencies: Dependencies) {
        self.config = config
        self.service = service
        self.env = env
        self.dependencies = dependencies
    }

    /// The canary as a state machine; every transition is written to the audit log.
    enum Phase {
        case preTrafficSmoke
        case shift(step: Int)
        case analyse(step: Int)
        case reverting(reason: String)
        case cancelling(signal: Int32)
        case done(DeploymentOutcome)
    }

    private var reporter: Reporter { dependencies.reporter }

    public func promote(_ options: PromoteOptions) async throws(ShipctlError) -> PromoteOutcome {
        var deps = dependencies
        if options.dryRun {
            deps.runner = DryRunProcessRunner(wrapping: deps.runner, redactor: deps.redactor) { [reporter] line in reporter.event("dry-run", line) }
        }
        let deploymentID = DeploymentRecorder.newDeploymentID(service: service.name, env: env.name)
        return try await deps.holdingLock(service: service.name, env: env.name, deployment: deploymentID, locking: !options.dryRun) { recorder throws(ShipctlError) in
            try await CanaryRun(engine: self, dependencies: deps, recorder: recorder, options: options).execute()
        }
    }

    /// `shipctl resume`: continues an interrupted deployment from the step the
    /// live split shows, or finishes its revert if it was reverting. Returns nil
    /// when nothing is in flight.
    public func resume(holdOnCancel: Bool = false) async throws(ShipctlError) -> PromoteOutcome? {
        guard let seen = try await inFlight() else {
            reporter.event("noop", "\(service.name)/\(env.name): no deployment is in flight; nothing to resume")
            return nil
        }
        return try await dependencies.holdingLock(service: service.name, env: env.name, deployment: seen.deployment) { recorder throws(ShipctlError) -> PromoteOutcome? in
            // Read again under the lock: another resume or abort may have finished it meanwhile.
            guard let interrupted = try await inFlight(), interrupted.deployment == seen.deployment else {
                reporter.event("noop", "deployment \(seen.deployment) was finished by someone else; nothing to resume")
                return nil
            }
            let run = CanaryRun(engine: self, dependencies: dependencies, recorder: recorder, options: PromoteOptions(holdOnCancel: holdOnCancel))
            return try await run.resume(interrupted)
        }
    }

    private func inFlight() async throws(ShipctlError) -> DeploymentHistory.InFlight? {
        try await dependencies.store.history(service: service.name, env: env.name).inFlight
    }
}

extension CanaryEngine.Phase {
    /// Phases that already lead to an end; a signal does not redirect them.
    var isTerminal: Bool {
        switch self {
        case .reverting, .cancelling, .done: return true
        default: return false
        }
    }
}

/// One promote in progress: the pieces it needs, and the phases it goes through.
private struct CanaryRun {
    let engine: CanaryEngine
    let dependencies: Dependencies
    let recorder: DeploymentRecorder
    let options: PromoteOptions

    var service: ServiceConfig { engine.service }
    var env: EnvironmentConfig { engine.env }
    var reporter: Reporter { dependencies.reporter }

    func execute() async throws(ShipctlError) -> PromoteOutcome {
        let provider = try ProviderFactory.provider(for: service, env: env, config: engine.config, dependencies: dependencies)
        let store = dependencies.store
        if !options.dryRun && !store.spansMachines && ProcessInfo.processInfo.environment["CI"] == "true" {
            reporter.warning("state is kept in \(store.location) on this machine: under CI its lock does not span runners and its audit log is lost with the runner; set `state.url` to your team's PostgreSQL database")
        }
        let history = options.dryRun ? DeploymentHistory() : try await store.history(service: service.name, env: env.name)
        if let broken = history.untrustedFrom {
            throw .runtime("the audit log in \(store.location) cannot be trusted: \(broken)",
                           hint: "run `shipctl audit verify`; restore the log from a trusted copy before promoting (`shipctl rollback` still works)")
        }
        if let interrupted = history.inFlight {
            let live = (try? await provider.readSplit())?.description ?? "unknown (the provider could not be read)"
            throw .interrupted(InterruptedDeployment(interrupted, service: service.name, env: env.name, live: live).message)
        }

        let terraformVersion = try await applyTerraform()
        let before = try await provider.readSplit()
        if !before.isSettled {
            throw .runtime("\(provider.target) already routes \(before.description), but no shipctl deployment is in flight",
                           hint: "someone shifted traffic by hand; put it back with `shipctl rollback --service \(service.name) --env \(env.name) --to VERSION` first")
        }
        let stable = before.stable
        let canary = try await chooseVersion(provider: provider, terraformVersion: terraformVersion)
        if canary == stable {
            reporter.event("noop", "\(provider.target): version \(canary) already serves 100% of traffic; nothing to promote",
                           ["service": .string(service.name), "env": .string(env.name), "version": .string(canary)])
            return PromoteOutcome(deployment: recorder.deployment, service: service.name, env: env.name, stable: stable, version: canary, outcome: .succeeded)
        }

        let steps = service.steps.map { "\(Percent.format($0.weight))%" + ($0.pause > .zero ? " for \(DurationParser.format($0.pause))" : "") }
        reporter.event("start", "promoting \(service.name)/\(env.name): \(provider.target) from version \(stable) to \(canary) in steps \(steps.joined(separator: ", "))",
                       ["deployment": .string(recorder.deployment), "stable": .string(stable), "canary": .string(canary)])
        try await recorder.record(.info, AuditAction.deploymentStart, step: "start",
                            args: ["stable": .string(stable), "canary": .string(canary), "target": .string(provider.target),
                                   "steps": .array(steps.map(JSONValue.string)), "dry_run": .bool(options.dryRun)])
        return try await drive(context(provider: provider, stable: stable, canary: canary), from: .preTrafficSmoke, revision: before.revision)
    }

    /// Picks an interrupted deployment up where the live split says it is: the
    /// step whose weight the canary holds is shifted (a no-op if already there),
    /// smoke-tested and analysed again, so nothing is skipped.
    func resume(_ interrupted: DeploymentHistory.InFlight) async throws(ShipctlError) -> PromoteOutcome {
        let provider = try ProviderFactory.provider(for: service, env: env, config: engine.config, dependencies: dependencies)
        let live = try await provider.readSplit()
        let own = [interrupted.stable, interrupted.canary]
        guard own.contains(live.stable), live.isSettled || own.contains(live.canary ?? "") else {
            throw .runtime("\(provider.target) routes \(live.description), which is not deployment \(interrupted.deployment)'s \(interrupted.stable) → \(interrupted.canary)",
                           hint: "traffic was changed by hand; put it where it belongs with `shipctl rollback --service \(service.name) --env \(env.name) --to VERSION`")
        }
        let canaryPercent = live.stable == interrupted.canary ? 100 : (live.canary == interrupted.canary ? live.canaryPercent : 0)
        let phase: CanaryEngine.Phase
        let from: String
        if let reason = interrupted.revertReason {
            phase = .reverting(reason: reason)
            from = "the revert it had started (\(reason))"
        } else if let index = service.steps.lastIndex(where: { $0.weight <= canaryPercent + 0.001 }) {
            phase = .shift(step: index)
            from = "step \(index + 1)/\(service.steps.count) (\(Percent.format(service.steps[index].weight))%)"
        } else {
            phase = .preTrafficSmoke
            from = "the pre-traffic smoke tests"
        }
        reporter.event("resume", "resuming deployment \(interrupted.deployment) of \(service.name)/\(env.name) (\(interrupted.stable) → \(interrupted.canary)): live traffic \(live.description); continuing from \(from)",
                       ["deployment": .string(interrupted.deployment), "live": live.json])
        try await recorder.record(.info, AuditAction.deploymentResume, step: "resume",
                            args: ["live": live.json, "from": .string(from), "stable": .string(interrupted.stable), "canary": .string(interrupted.canary)])
        return try await drive(context(provider: provider, stable: interrupted.stable, canary: interrupted.canary), from: phase, revision: live.revision)
    }

    private func context(provider: any TrafficProvider, stable: String, canary: String) -> StepContext {
        let placeholders = Placeholders.deployment(service: service, env: env, canary: canary, stable: stable)
        return StepContext(provider: provider, stable: stable, canary: canary, placeholders: placeholders,
                           baseline: Placeholders(placeholders.values.merging(["canary": stable]) { $1 }))
    }

    private func drive(_ context: StepContext, from phase: CanaryEngine.Phase, revision: String?) async throws(ShipctlError) -> PromoteOutcome {
        let outcome: DeploymentOutcome
        do {
            outcome = try await runPhases(context, from: phase, revision: revision)
        } catch let error where error.exitCode == 3 || error.exitCode > 128 {
            throw error
        } catch {
            // A provider failing for good mid-canary must not leave users split across versions.
            guard !options.dryRun else { throw error }
            reporter.failure("\(error.description)\nreverting \(context.provider.target) to \(context.stable)")
            // If the revert fails too, its error is the one that says where traffic is and how to fix it.
            _ = try await revert(context, reason: "runtime failure: \(error.description)", flipFlags: false)
            throw error
        }
        return PromoteOutcome(deployment: recorder.deployment, service: service.name, env: env.name, stable: context.stable, version: context.canary, outcome: outcome)
    }

    struct StepContext {
        let provider: any TrafficProvider
        let stable: String
        let canary: String
        let placeholders: Placeholders
        let baseline: Placeholders
    }

    private func runPhases(_ context: StepContext, from start: CanaryEngine.Phase, revision: String?) async throws(ShipctlError) -> DeploymentOutcome {
        var phase = start
        var tally = AnalysisTally(failureLimit: service.analysis.failureLimit, inconclusiveLimit: service.analysis.inconclusiveLimit)
        var revision = revision
        while true {
            if let signal = dependencies.cancellation.signal, !phase.isTerminal {
                phase = .cancelling(signal: signal)
            }
            switch phase {
            case .preTrafficSmoke:
                reporter.beginGroup("pre-traffic smoke tests on version \(context.canary)")
                let failure = try await smoke(context, step: "pre-traffic")
                reporter.endGroup()
                phase = failure.map { .reverting(reason: $0) } ?? .shift(step: 0)

            case let .shift(index):
                let step = service.steps[index]
                let label = "step \(index + 1)/\(service.steps.count)"
                reporter.beginGroup("\(label): \(Percent.format(step.weight))% on version \(context.canary)")
                let split: TrafficSplit
                if step.weight >= 100 {
                    // The completing call also leaves the witness on the target, citing the intent record just written.
                    split = try await recorder.performing(AuditAction.trafficComplete, step: label,
                                                          args: ["weight": 100, "canary": .string(context.canary), "stable": .string(context.stable)]) { (intent: AuditRecord?) async throws(ShipctlError) -> TrafficSplit in
                        let witness = intent.map { Witness(previous: context.stable, deployment: recorder.deployment, citing: $0) }
                        return try await context.provider.routeAll(to: context.canary, revision: revision, urgent: false, witness: witness)
                    }
                } else {
                    split = try await recorder.performing(AuditAction.trafficShift, step: label,
                                                          args: ["weight": .number(step.weight), "canary": .string(context.canary), "stable": .string(context.stable)]) { () async throws(ShipctlError) -> TrafficSplit in
                        try await context.provider.shift(stable: context.stable, canary: context.canary, percent: step.weight, revision: revision)
                    }
                }
                revision = split.revision
                reporter.event("shift", "\(label): \(context.provider.target) now \(split.description)",
                               ["step": .int(Int64(index + 1)), "weight": .number(step.weight), "split": split.json])
                if let failure = try await smoke(context, step: label) {
                    reporter.endGroup()
                    phase = .reverting(reason: failure)
                } else {
                    phase = .analyse(step: index)
                }

            case let .analyse(index):
                let step = service.steps[index]
                let label = "step \(index + 1)/\(service.steps.count)"
                let failure = try await analyse(context, step: step, label: label, tally: &tally)
                reporter.endGroup()
                if let signal = dependencies.cancellation.signal {
                    phase = .cancelling(signal: signal)
                } else if let failure {
                    phase = .reverting(reason: failure)
                } else if index + 1 < service.steps.count {
                    phase = .shift(step: index + 1)
                } else {
                    try await recorder.record(.info, AuditAction.deploymentFinish, step: "finish",
                                        args: ["version": .string(context.canary), "previous": .string(context.stable)],
                                        outcome: DeploymentOutcome.succeeded.rawValue)
                    reporter.event("finish", "\(service.name)/\(env.name): version \(context.canary) serves 100% and is now last-known-good",
                                   ["outcome": "succeeded", "version": .string(context.canary)])
                    reporter.appendSummary("### shipctl: \(service.name)/\(env.name) promoted to version \(context.canary)\n\nprevious: \(context.stable); steps: \(service.steps.map { "\(Percent.format($0.weight))%" }.joined(separator: " → "))")
                    phase = .done(.succeeded)
                }

            case let .reverting(reason):
                let revertedTo = try await revert(context, reason: reason, flipFlags: true)
                throw .gatesFailed(reason: reason, revertedTo: revertedTo)

            case let .cancelling(signal):
                reporter.endGroup()
                let reason = "cancelled by \(CancellationState.name(signal))"
                if options.holdOnCancel {
                    throw .cancelled(signal: signal, outcome: try await hold(context, reason: reason))
                }
                let revertedTo = try await revert(context, reason: reason, flipFlags: false, outcome: .cancelled)
                throw .cancelled(signal: signal, outcome: "traffic reverted to version \(revertedTo)")

            case let .done(outcome):
                return outcome
            }
        }
    }

    // MARK: phases

    private func applyTerraform() async throws(ShipctlError) -> String? {
        guard let block = service.terraform else { return nil }
        let placeholders = Placeholders(["service": service.name, "env": env.name])
        let terraform = Terraform(directory: engine.config.resolvePath(placeholders.fill(block.dir)),
                                  variables: block.vars.map { ($0.name, placeholders.fill($0.value)) },
                                  applyTimeout: engine.config.timeouts.terraform, runner: dependencies.runner, redactor: dependencies.redactor)
        reporter.beginGroup("terraform in \(terraform.directory)")
        defer { reporter.endGroup() }
        try await terraform.initialise()
        let plan = try await terraform.plan()
        reporter.event("terraform-plan", "terraform plan: \(plan.headline)", plan.auditArgs)
        if plan.isDestructive && !options.yes {
            throw .runtime("the terraform plan destroys or replaces resources: \(plan.headline)",
                           hint: "review it with `terraform -chdir=\(terraform.directory) plan`; pass --yes to apply it anyway")
        }
        if plan.hasChanges {
            try await recorder.performing(AuditAction.terraformApply, step: "terraform", args: plan.auditArgs) { () async throws(ShipctlError) in
                try await terraform.apply(plan)
            }
        }
        if options.dryRun && plan.hasChanges { return nil }
        // Read even without `version_output`: reading teaches the redactor the sensitive values.
        let outputs = try await terraform.outputs()
        guard let outputName = block.versionOutput else { return nil }
        guard let output = outputs[outputName] else {
            throw .runtime("terraform output `\(outputName)` does not exist in \(terraform.directory)",
                           hint: "outputs there: \(outputs.keys.sorted().joined(separator: ", ")); fix `terraform.version_output`")
        }
        guard let version = output.value.stringValue else {
            throw .runtime("terraform output `\(outputName)` is not a single version")
        }
        return version
    }

    private func chooseVersion(provider: any TrafficProvider, terraformVersion: String?) async throws(ShipctlError) -> String {
        if let requested = options.version {
            return try await provider.resolveVersion(requested)
        }
        if let terraformVersion {
            do {
                return try await provider.resolveVersion(terraformVersion)
            } catch .usage(let message, let hint) {
                // Not the user's typo: terraform handed over something that is not a version.
                throw .runtime("terraform output `\(service.terraform?.versionOutput ?? "")`: \(message)", hint: hint)
            }
        }
        if options.dryRun { return try await provider.publishVersion() }
        return try await recorder.performing(AuditAction.versionPublish, step: "version", args: [:]) { () async throws(ShipctlError) -> String in
            try await provider.publishVersion()
        }
    }

    /// Runs the smoke tests against the canary; returns why they failed, if they did.
    private func smoke(_ context: StepContext, step: String) async throws(ShipctlError) -> String? {
        guard !service.smoke.isEmpty else { return nil }
        if options.dryRun {
            for test in service.smoke { reporter.event("dry-run", "would run smoke test \(test.name) against version \(context.canary)") }
            return nil
        }
        let runner = SmokeRunner(provider: context.provider, runner: dependencies.runner, http: dependencies.http,
                                 redactor: dependencies.redactor, workingDirectory: URL(fileURLWithPath: engine.config.path).deletingLastPathComponent().path)
        for test in service.smoke {
            let result = await runner.run(test, version: context.canary, placeholders: context.placeholders)
            try await recorder.record(.info, AuditAction.smoke, step: step,
                                args: ["test": .string(test.name), "detail": .string(result.detail), "version": .string(context.canary)],
                                outcome: result.passed ? "pass" : "fail", durationMs: result.durationMs)
            reporter.event("smoke", "smoke \(test.name): \(result.passed ? "pass" : "FAIL") (\(result.detail))",
                           ["test": .string(test.name), "passed": .bool(result.passed), "detail": .string(result.detail)])
            if !result.passed { return "smoke test \(test.name) failed at \(step): \(result.detail)" }
        }
        return nil
    }

    /// Watches the metrics for the step's pause; returns why the canary must stop, if it must.
    private func analyse(_ context: StepContext, step: CanaryStep, label: String, tally: inout AnalysisTally) async throws(ShipctlError) -> String? {
        guard step.pause > .zero else { return nil }
        let metrics = service.analysis.metrics
        if options.dryRun {
            for metric in metrics {
                let query = MetricEvaluator.resolve(metric.source, with: context.placeholders).display
                reporter.event("dry-run", "would watch \(metric.name) (\(MetricEvaluator.describeThreshold(metric))) every \(DurationParser.format(service.analysis.interval)) for \(DurationParser.format(step.pause)): \(query)")
            }
            return nil
        }
        let sources = ProviderFactory.metricSources(env: env, dependencies: dependencies)
        let evaluator = MetricEvaluator(sources: sources)
        let clock = dependencies.clock
        let deadline = clock.now() + step.pause
        let interval = service.analysis.interval
        var next = clock.now() + interval
        // Metrics that failed their last evaluation: they are evaluated again as soon as
        // there is a new sample, so failure_limit is spent in seconds, not intervals.
        var confirming: [MetricConfig] = []
        var lastEvaluated = clock.wallNow()
        while true {
            let remaining = deadline - clock.now()
            guard remaining > .zero else { return nil }
            var due = metrics
            // Metrics whose confirmation found no newer sample: the same sample is never counted twice.
            var stale: Set<String> = []
            if !confirming.isEmpty {
                due = confirming
                let limit = min(remaining, interval)
                switch service.analysis.confirm {
                case .nextSample:
                    let waits = confirming.map { ($0.name, MetricEvaluator.resolve($0.source, with: context.placeholders)) }
                    let since = lastEvaluated
                    stale = await withTaskGroup(of: (String, Bool?).self) { group in
                        for (name, query) in waits {
                            group.addTask { (name, await sources.awaitNewSample(for: query, after: since, limit: limit, clock: clock)) }
                        }
                        var found: Set<String> = []
                        for await (name, fresh) in group where fresh == false { found.insert(name) }
                        return found
                    }
                    if Task.isCancelled { return nil }
                case let .after(delay):
                    do { try await clock.sleep(min(delay, limit)) } catch { return nil }
                }
                // The confirmation stands in for the next regular evaluation.
                next = clock.now() + interval
            } else {
                let untilNext = next - clock.now()
                if untilNext > .zero {
                    // Cancellation (a signal) ends the pause early; the caller decides what follows.
                    do { try await clock.sleep(min(untilNext, remaining)) } catch { return nil }
                }
                if clock.now() >= deadline && metrics.isEmpty { return nil }
                next = next + interval
                guard !metrics.isEmpty else { continue }
            }
            lastEvaluated = clock.wallNow()
            let fresh = due.filter { !stale.contains($0.name) }
            var evaluations = await withTaskGroup(of: (Int, MetricEvaluation).self) { group in
                for (position, metric) in fresh.enumerated() {
                    group.addTask { (position, await evaluator.evaluate(metric, canary: context.placeholders, baseline: context.baseline)) }
                }
                var collected: [(Int, MetricEvaluation)] = []
                for await item in group { collected.append(item) }
                return collected.sorted { $0.0 < $1.0 }.map(\.1)
            }
            for metric in due where stale.contains(metric.name) {
                evaluations.append(MetricEvaluation.noNewSample(metric, query: MetricEvaluator.resolve(metric.source, with: context.placeholders).display,
                                                                 waited: min(remaining, interval)))
            }
            let left = max(Int64(0), (deadline - clock.now()).milliseconds / 1000)
            let kind = confirming.isEmpty ? "" : " confirming"
            reporter.event("analysis", "\(label) [\(left)s left]\(kind) " + evaluations.map(\.summary).joined(separator: "; "),
                           ["step": .string(label), "metrics": .array(evaluations.map { .object($0.auditArgs) }), "confirming": .bool(!confirming.isEmpty)])
            var stopReason: String?
            for evaluation in evaluations {
                var args = evaluation.auditArgs
                if !confirming.isEmpty { args["confirming"] = .bool(true) }
                try await recorder.record(.info, AuditAction.analysis, step: label, args: args, outcome: evaluation.verdict.rawValue)
                if stopReason == nil, let reason = tally.record(evaluation) { stopReason = reason }
            }
            if let stopReason { return stopReason }
            let failed = Set(evaluations.filter { $0.verdict == .fail && !$0.dryRun }.map(\.metric))
            confirming = due.filter { failed.contains($0.name) }
            if clock.now() >= deadline { return nil }
        }
    }

    /// `--on-cancel=hold`: leaves traffic where it is and the deployment open,
    /// so `resume` or `abort` can take it from here.
    private func hold(_ context: StepContext, reason: String) async throws(ShipctlError) -> String {
        let live = (try? await context.provider.readSplit())?.description ?? "unknown"
        try await recorder.record(.info, AuditAction.deploymentHold, step: "cancel",
                            args: ["reason": .string(reason), "live": .string(live)], outcome: DeploymentOutcome.cancelled.rawValue)
        return """
        traffic held as it is (\(live)) at the user's request
          continue it: shipctl resume --service \(service.name) --env \(env.name)
          revert it:   shipctl abort --service \(service.name) --env \(env.name)
        """
    }

    /// Puts all traffic back on stable (when configured), flips the flags, and
    /// records how the deployment ended. Returns the version traffic is on.
    private func revert(_ context: StepContext, reason: String, flipFlags: Bool, outcome: DeploymentOutcome = .rolledBack) async throws(ShipctlError) -> String {
        reporter.event("gate-failed", "canary of version \(context.canary) stopped: \(reason)", ["reason": .string(reason)])
        var liveVersion = context.canary
        let flipper = FlagFlipper(recorder: recorder, stores: ProviderFactory.flagStores(config: engine.config, env: env, dependencies: dependencies),
                                  reporter: reporter)
        let flips = flipFlags ? service.onFailure.flags : []
        // The flags flip beside the revert, never before it in the log and never in its way.
        var flagging: Task<ShipctlError?, Never>?
        if service.onFailure.revert {
            do {
                _ = try await recorder.performing(AuditAction.trafficRevert, step: "revert",
                                                  args: ["to": .string(context.stable), "from": .string(context.canary), "reason": .string(reason)]) { (_: AuditRecord?) async throws(ShipctlError) -> TrafficSplit in
                    flagging = flipper.start(flips, placeholders: context.placeholders, step: "on_failure")
                    return try await context.provider.routeAll(to: context.stable, revision: nil, urgent: true)
                }
                liveVersion = context.stable
                reporter.event("revert", "reverted \(context.provider.target): 100% on \(context.stable)", ["to": .string(context.stable)])
            } catch {
                _ = await flagging?.value
                let live = (try? await context.provider.readSplit())?.description ?? "unknown"
                throw .runtime("reverting to version \(context.stable) failed: \(error.description)\n  live traffic now: \(live)",
                               hint: "put traffic back by hand: \(context.provider.manualRouteAllCommand(to: context.stable))")
            }
        } else {
            reporter.warning("on_failure.revert is false: traffic stays where it is")
            flagging = flipper.start(flips, placeholders: context.placeholders, step: "on_failure")
        }
        let flagError = await flagging?.value ?? nil
        defer { reporter.appendSummary("### shipctl: \(service.name)/\(env.name) canary of version \(context.canary) rolled back\n\n\(reason)") }
        try await recorder.record(.info, AuditAction.deploymentFinish, step: "finish",
                            args: ["version": .string(liveVersion), "reason": .string(reason), "canary": .string(context.canary)],
                            outcome: outcome.rawValue)
        if let flagError { throw flagError }
        return liveVersion
    }
}
