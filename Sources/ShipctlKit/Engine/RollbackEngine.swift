import Foundation

/// `shipctl rollback` and `shipctl abort`: the fast track. The target comes from
/// the state store's history (or, with none, from the witness on the target),
/// then ONE provider call moves all traffic, whose answer is the verification,
/// with the flag flips running beside it. Needs neither metrics nor terraform, and
/// carries on when the state store cannot be read or written.
public struct RollbackEngine: Sendable {
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

    private var reporter: Reporter { dependencies.reporter }

    /// What this service/env's history and lock are kept for.
    private var scope: StateScope {
        ServiceParts.scope(for: service, env: env, config: config, dependencies: dependencies)
    }

    /// How long a rollback lets each step of its log wait (a database behind a lock, a migration, a slow
    /// network) before it goes on without it, as it does when the database is down.
    public static let logStepLimit: Duration = .milliseconds(1500)

    /// The rollback, stopped at `deadline` with what it tried: a cloud that accepts connections and never
    /// answers must not leave on-call waiting minutes for nothing. What was already sent may still land.
    /// Once traffic has moved, the deadline ends only the notifications and the trace export still
    /// running: the rollback is reported as it ended, never as unfinished.
    public func rollback(_ options: RollbackOptions, within deadline: Duration) async throws(ShipctlError)
        -> RollbackOutcome
    {
        let tried = LastRetry()
        let traffic = SettledValue<Result<RollbackOutcome, ShipctlError>>()
        let reporter = self.reporter
        let outer = RetryNotice.listener
        let first = FirstAnswer<Result<RollbackOutcome, ShipctlError>>()
        let result = await first.wait { finish in
            _ = ShieldedTask.start {
                let listener: @Sendable (String) -> Void = {
                    tried.note($0)
                    outer?($0)
                }
                let outcome: Result<RollbackOutcome, ShipctlError>
                do throws(ShipctlError) {
                    outcome = .success(
                        try await RetryNotice.reporting(to: listener) { () throws(ShipctlError) in
                            try await rollback(options, settling: traffic)
                        })
                } catch {
                    outcome = .failure(error)
                }
                finish(outcome)
            }
            _ = ShieldedTask.start {
                try? await Task.sleep(for: deadline)
                if traffic.value != nil {
                    reporter.warning(
                        "the notifications and the trace export were still being sent at the "
                            + "\(DurationParser.format(deadline)) deadline and were cut off; the audit log may "
                            + "lack their records")
                }
                finish(traffic.value)
            }
        }
        guard let result else {
            let kind = options.abortOnly ? "abort" : "rollback"
            throw .runtime(
                "the \(kind) of \(service.name)/\(env.name) did not finish within \(DurationParser.format(deadline))"
                    + (tried.last.map { "; the last try: \($0)" } ?? "; the provider has not answered"),
                hint:
                    "`shipctl status --service \(service.name) --env \(env.name)` shows where traffic is now; "
                    + "run the \(kind) again, with a longer --timeout if the cloud is slow")
        }
        return try result.get()
    }

    public func rollback(_ options: RollbackOptions) async throws(ShipctlError) -> RollbackOutcome {
        try await rollback(options, settling: nil)
    }

    /// The rollback, settling `traffic` as soon as the traffic call and its check have ended.
    private func rollback(
        _ options: RollbackOptions, settling traffic: SettledValue<Result<RollbackOutcome, ShipctlError>>?
    ) async throws(ShipctlError) -> RollbackOutcome {
        let provider = ServiceParts.provider(for: service, env: env, config: config, dependencies: dependencies)
        // `rollback` never waits for a lock, nor long for its log: it is the way out when everything else is stuck.
        guard options.abortOnly else {
            await dependencies.store.limitWaits(to: Self.logStepLimit)
            return try await revert(
                options, history: await readHistory(), journal: nil, provider: provider, settling: traffic)
        }
        guard let inFlight = await readHistory()?.inFlight else { return nothingToAbort() }
        // `abort` takes the lock, so it cannot race a `resume` of the same deployment, nor
        // another `abort` that finished while this one was starting.
        return try await dependencies.holdingLock(scope, deployment: inFlight.deployment) {
            journal throws(ShipctlError) -> RollbackOutcome in
            // What was read before the lock may have been finished by its previous holder.
            let history = await readHistory()
            guard history?.inFlight?.deployment == inFlight.deployment else { return nothingToAbort() }
            return try await revert(options, history: history, journal: journal, provider: provider, settling: traffic)
        }
    }

    /// Moves all traffic to the version `options` or the history names, telling `journal` (under the lock,
    /// an abort's), or without one, a journal of its own.
    private func revert(
        _ options: RollbackOptions, history: DeploymentHistory?, journal: DeploymentJournal?,
        provider: any TrafficProvider, settling traffic: SettledValue<Result<RollbackOutcome, ShipctlError>>?
    ) async throws(ShipctlError) -> RollbackOutcome {
        let inFlight = history?.inFlight
        let (target, liveVersion) = try await chooseTarget(options, history: history, provider: provider)
        let deployment =
            inFlight?.deployment
            ?? DeploymentRecorder.newDeploymentID(
                service: service.name, env: env.name, kind: options.abortOnly ? "abort" : "rollback")
        let from = inFlight?.canary ?? liveVersion ?? history?.lastKnownGood ?? "unknown"
        let move = { (journal: DeploymentJournal) async throws(ShipctlError) -> RollbackOutcome in
            do throws(ShipctlError) {
                let outcome = try await moveTraffic(
                    options, target: target, from: from, inFlight: inFlight, journal: journal, provider: provider)
                traffic?.settle(.success(outcome))
                return outcome
            } catch {
                traffic?.settle(.failure(error))
                throw error
            }
        }
        if let journal { return try await move(journal) }
        let log = DeploymentRecorder(
            deployment: deployment, scope: scope, store: dependencies.store, redactor: dependencies.redactor,
            spool: dependencies.spool)
        return try await dependencies.telling(log) { journal throws(ShipctlError) in try await move(journal) }
    }

    /// The recorded history, or nil (with a warning) when the store cannot be read:
    /// a rollback then goes on from the live split and the witness.
    private func readHistory() async -> DeploymentHistory? {
        do {
            let history = try await dependencies.store.history(scope)
            if let broken = history.untrustedFrom {
                reporter.warning(
                    "the audit log stops verifying: \(broken); only the records before it are used to choose the version"
                )
            }
            return history
        } catch {
            reporter.warning("cannot read the audit log (\(error.description)); reading the live split instead")
            return nil
        }
    }

    private func nothingToAbort() -> RollbackOutcome {
        reporter.event("noop", "\(service.name)/\(env.name): no deployment is in flight; nothing to abort")
        return RollbackOutcome(deployment: "", target: "", verified: nil)
    }

    private func moveTraffic(
        _ options: RollbackOptions, target: String, from: String, inFlight: DeploymentHistory.InFlight?,
        journal: DeploymentJournal, provider: any TrafficProvider
    ) async throws(ShipctlError) -> RollbackOutcome {
        let kind = options.abortOnly ? "abort" : "rollback"
        // The flags flip beside the one traffic call: after its intent in the log, never in its way.
        let flips = options.flipFlags ? service.onFailure.flags : []
        let flipper = FlagFlipper(
            journal: journal, store: ServiceParts.flagStore(config: config, env: env, dependencies: dependencies),
            reporter: reporter)
        var flagging: Task<ShipctlError?, Never>?
        // The provider answers with the state after the change: that answer is the verification,
        // so the critical path stays one call.
        let verified: TrafficSplit
        do {
            verified = try await journal.performing(
                .rolledBack(kind: kind, target: provider.target, to: target, from: from, reason: options.reason),
                delivery: .bestEffort
            ) { _ async throws(ShipctlError) -> TrafficSplit in
                flagging = flipper.start(
                    flips,
                    placeholders: Placeholders.deployment(service: service, env: env, canary: from, stable: target),
                    step: kind)
                return try await provider.routeAll(to: target, revision: nil, urgent: true)
            }
        } catch {
            _ = await flagging?.value
            throw .runtime(
                "\(kind) of \(provider.target) to version \(target) failed: \(error.description)",
                hint: "run it by hand: \(provider.manualRouteAllCommand(to: target))")
        }
        if inFlight != nil {
            try? await journal.emit(
                .ended(
                    step: kind, version: target, reason: nil, canary: nil,
                    outcome: options.abortOnly ? .cancelled : .rolledBack),
                delivery: .bestEffort)
        }

        let flagError = await flagging?.value ?? nil

        guard verified.stable == target, verified.isSettled else {
            throw .runtime(
                "after the \(kind), \(provider.target) routes \(verified.description), not 100% on \(target)",
                hint:
                    "something else changed it; run `shipctl status` and, if needed, \(provider.manualRouteAllCommand(to: target))"
            )
        }
        try? await journal.emit(.verified(target: provider.target, to: target, split: verified), delivery: .bestEffort)
        if let flagError { throw flagError }
        return RollbackOutcome(deployment: journal.deployment, target: target, verified: verified)
    }

    /// The version to go to, and the version traffic comes from when the target had to be read to decide.
    private func chooseTarget(_ options: RollbackOptions, history: DeploymentHistory?, provider: any TrafficProvider)
        async throws(ShipctlError) -> (String, String?)
    {
        if let requested = options.to {
            guard !requested.isEmpty,
                requested.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
            else {
                throw .usage("`\(requested)` is not a version name")
            }
            return (requested, nil)
        }
        if let target = history?.rollbackTarget(live: nil) { return (target, nil) }
        // No usable history (a fresh laptop, the database down): the target itself
        // still tells — an unfinished canary's stable version, or the witness the
        // last promote wrote onto it.
        let live = try await provider.readSplit()
        if !live.isSettled { return (live.stable, live.canary) }
        if let witness = live.witness, witness.previous != live.stable {
            reporter.event(
                "witness",
                "no recorded state for \(service.name)/\(env.name); \(provider.target) says it was promoted from version \(witness.previous) (\(witness.description))",
                ["witness": .string(witness.description)])
            return (witness.previous, live.stable)
        }
        throw .usage(
            "no last-known-good version of \(service.name)/\(env.name) is recorded, and \(provider.target) serves 100% on \(live.stable)",
            hint: "name the version to go to: shipctl rollback --service \(service.name) --env \(env.name) --to VERSION"
        )
    }
}
