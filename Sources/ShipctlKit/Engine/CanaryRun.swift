import Foundation

/// One promote in progress: the pieces it needs, and the phases it goes through.
struct CanaryRun {
    let engine: CanaryEngine
    let dependencies: Dependencies
    /// Where every moment of the run is told: the audit log and the reporter read it.
    let journal: DeploymentJournal
    let options: PromoteOptions
    let lockWatch = LockWatch()
    /// The judge's counts and tests, kept across the steps: its window is the whole canary.
    let judgeLedger = JudgeLedger()

    var service: ServiceConfig { engine.service }
    var env: EnvironmentConfig { engine.env }
    var reporter: Reporter { dependencies.reporter }

    func execute() async throws(ShipctlError) -> PromoteOutcome {
        let provider = ServiceParts.provider(
            for: service, env: env, config: engine.config, dependencies: dependencies)
        let store = dependencies.store
        if !options.dryRun && !store.spansMachines && ProcessInfo.processInfo.environment["CI"] == "true" {
            reporter.warning(
                "state is kept in \(store.location) on this machine: under CI its lock does not span runners and its audit log is lost with the runner; set `state.url` to your team's PostgreSQL database"
            )
        }
        let history = options.dryRun ? DeploymentHistory() : try await store.history(journal.scope)
        if let broken = history.untrustedFrom {
            throw .runtime(
                "the audit log in \(store.location) cannot be trusted: \(broken)",
                hint:
                    "run `shipctl audit verify`; restore the log from a trusted copy before promoting (`shipctl rollback` still works)"
            )
        }
        if let interrupted = history.inFlight {
            let live = (try? await provider.readSplit())?.description ?? "unknown (the provider could not be read)"
            throw .interrupted(
                InterruptedDeployment(interrupted, service: service.name, env: env.name, live: live).message)
        }

        let terraformVersion = try await applyTerraform()
        let before = try await provider.readSplit()
        if !before.isSettled {
            throw .runtime(
                "\(provider.target) already routes \(before.description), but no shipctl deployment is in flight",
                hint:
                    "someone shifted traffic by hand; put it back with `shipctl rollback --service \(service.name) --env \(env.name) --to VERSION` first"
            )
        }
        let stable = before.stable
        let canary = try await chooseVersion(provider: provider, terraformVersion: terraformVersion)
        if canary == stable {
            try await journal.emit(.nothingToPromote(target: provider.target, version: canary))
            return PromoteOutcome(
                deployment: journal.deployment, service: service.name, env: env.name, stable: stable, version: canary,
                ending: .promoted)
        }

        let steps = service.steps.map {
            "\(Percent.format($0.weight))%" + ($0.pause > .zero ? " for \(DurationParser.format($0.pause))" : "")
        }
        try await journal.emit(
            .started(target: provider.target, stable: stable, canary: canary, steps: steps, dryRun: options.dryRun))
        if service.waitsForEvidence, options.forecast, !options.dryRun {
            try await journal.emit(await evidenceForecast(stable: stable))
        }
        return try await drive(
            context(provider: provider, stable: stable, canary: canary), from: .preTrafficSmoke,
            revision: before.revision)
    }

    /// Picks an interrupted deployment up where the live split says it is: the
    /// step whose weight the canary holds is shifted (a no-op if already there),
    /// smoke-tested and analysed again, so nothing is skipped.
    func resume(_ interrupted: DeploymentHistory.InFlight) async throws(ShipctlError) -> PromoteOutcome {
        let provider = ServiceParts.provider(
            for: service, env: env, config: engine.config, dependencies: dependencies)
        let live = try await provider.readSplit()
        let own = [interrupted.stable, interrupted.canary]
        guard own.contains(live.stable), live.isSettled || own.contains(live.canary ?? "") else {
            throw .runtime(
                "\(provider.target) routes \(live.description), which is not deployment \(interrupted.deployment)'s \(interrupted.stable) → \(interrupted.canary)",
                hint:
                    "traffic was changed by hand; put it where it belongs with `shipctl rollback --service \(service.name) --env \(env.name) --to VERSION`"
            )
        }
        let canaryPercent =
            live.stable == interrupted.canary ? 100 : (live.canary == interrupted.canary ? live.canaryPercent : 0)
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
        try await journal.emit(
            .resumed(live: live, from: from, stable: interrupted.stable, canary: interrupted.canary))
        return try await drive(
            context(provider: provider, stable: interrupted.stable, canary: interrupted.canary), from: phase,
            revision: live.revision)
    }

    /// What `plan` says of the evidence steps, said again as the canary starts: stable's traffic may have
    /// changed since the plan was read.
    func evidenceForecast(stable: String) async -> DeploymentEvent {
        let source = ServiceParts.metricSource(config: engine.config, env: env, dependencies: dependencies)
        do {
            let forecast = try await PlanReport.forecast(
                service: service, stable: stable, source: source, now: dependencies.clock.wallNow())
            let steps = forecast.steps.sorted { $0.key < $1.key }.map {
                "\(Self.label($0.key, of: service.steps.count)): \($0.value.text)"
            }
            return .forecast(traffic: forecast.traffic, steps: steps, unknown: nil)
        } catch {
            return .forecast(traffic: nil, steps: [], unknown: error.summary)
        }
    }

    func context(provider: any TrafficProvider, stable: String, canary: String) -> StepContext {
        let placeholders = Placeholders.deployment(service: service, env: env, canary: canary, stable: stable)
        return StepContext(
            provider: provider, stable: stable, canary: canary, placeholders: placeholders,
            baseline: placeholders.withCanary(stable))
    }

    /// Runs the phases to an end, and whatever the end, puts the deployment in the job summary.
    func drive(_ context: StepContext, from phase: CanaryEngine.Phase, revision: String?) async throws(ShipctlError)
        -> PromoteOutcome
    {
        do {
            let outcome = try await driveToTheEnd(context, from: phase, revision: revision)
            await summarise()
            return outcome
        } catch {
            await summarise()
            throw error
        }
    }

    /// The job summary is built from the deployment's own records, as `shipctl report` is,
    /// so the two cannot disagree; only under GitHub Actions, where someone reads it.
    func summarise() async {
        guard reporter.writesSummary, !options.dryRun,
            let records = try? await dependencies.store.records(where: { $0.field("deployment") == journal.deployment }
            ),
            let timeline = DeploymentTimeline(records: records)
        else { return }
        reporter.appendSummary(StepSummary.markdown(timeline))
    }

    func driveToTheEnd(_ context: StepContext, from phase: CanaryEngine.Phase, revision: String?)
        async throws(ShipctlError) -> PromoteOutcome
    {
        let ending: PromoteEnding
        do {
            ending = try await runPhases(context, from: phase, revision: revision)
        } catch let error where lockWatch.lost != nil {
            // A run that lost its lock moves no more traffic: another runner may hold it now.
            throw error
        } catch {
            // A provider failing for good mid-canary must not leave users split across versions.
            guard !options.dryRun else { throw error }
            reporter.failure("\(error.description)\nreverting \(context.provider.target) to \(context.stable)")
            // If the revert fails too, its error is the one that says where traffic is and how to fix it.
            _ = try await revert(context, reason: "runtime failure: \(error.description)", flipFlags: false)
            throw error
        }
        return PromoteOutcome(
            deployment: journal.deployment, service: service.name, env: env.name, stable: context.stable,
            version: context.canary, ending: ending)
    }

    struct StepContext {
        let provider: any TrafficProvider
        let stable: String
        let canary: String
        let placeholders: Placeholders
        let baseline: Placeholders
    }

    /// The state machine: each phase does its work and names the next one. A
    /// signal between phases redirects any phase that does not already lead to an end.
    func runPhases(_ context: StepContext, from start: CanaryEngine.Phase, revision: String?) async throws(ShipctlError)
        -> PromoteEnding
    {
        var phase = start
        var tally = AnalysisTally(
            failureLimit: service.analysis.failureLimit, inconclusiveLimit: service.analysis.inconclusiveLimit)
        var revision = revision
        while true {
            if let signal = dependencies.cancellation.signal, !phase.isTerminal {
                phase = .cancelling(signal: signal)
            }
            switch phase {
            case .preTrafficSmoke:
                phase = try await preTrafficSmoke(context)
            case .shift(let index):
                if let lost = await lockLost() {
                    phase = lost
                    continue
                }
                (phase, revision) = try await shift(context, step: index, revision: revision)
            case .analyse(let index):
                phase = try await analyse(context, step: index, tally: &tally)
            case .reverting(let reason):
                return .reverted(reason: reason, to: try await revert(context, reason: reason, flipFlags: true))
            case .cancelling(let signal):
                return try await cancel(context, signal: signal)
            case .holding(let reason):
                return await holdWithoutLock(context, reason: reason)
            case .done(let ending):
                return ending
            }
        }
    }
}
