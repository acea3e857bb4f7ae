import Foundation

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
        /// The lock was lost to what may be another runner: traffic stays as it is.
        case holding(reason: String)
        case done(PromoteEnding)
    }

    private var reporter: Reporter { dependencies.reporter }

    /// What this service/env's history and lock are kept for.
    var scope: StateScope { ServiceParts.scope(for: service, env: env, config: config, dependencies: dependencies) }

    public func promote(_ options: PromoteOptions) async throws(ShipctlError) -> PromoteOutcome {
        var deps = dependencies
        if options.dryRun {
            deps.reporter = deps.reporter.dryRunning()
            let print: @Sendable (String) -> Void = { [reporter = deps.reporter] line in
                reporter.event("dry-run", line)
            }
            deps.runner = DryRunProcessRunner(wrapping: deps.runner, redactor: deps.redactor, print: print)
            deps.parts = DryRunParts(wrapping: deps.parts, print: print)
        }
        let deploymentID = DeploymentRecorder.newDeploymentID(service: service.name, env: env.name)
        return try await deps.holdingLock(scope, deployment: deploymentID, locking: !options.dryRun) {
            journal throws(ShipctlError) in
            try await CanaryRun(engine: self, dependencies: deps, journal: journal, options: options).execute()
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
        return try await dependencies.holdingLock(scope, deployment: seen.deployment) {
            journal throws(ShipctlError) -> PromoteOutcome? in
            // Read again under the lock: another resume or abort may have finished it meanwhile.
            guard let interrupted = try await inFlight(), interrupted.deployment == seen.deployment else {
                reporter.event("noop", "deployment \(seen.deployment) was finished by someone else; nothing to resume")
                return nil
            }
            let run = CanaryRun(
                engine: self, dependencies: dependencies, journal: journal,
                options: PromoteOptions(holdOnCancel: holdOnCancel))
            return try await run.resume(interrupted)
        }
    }

    private func inFlight() async throws(ShipctlError) -> DeploymentHistory.InFlight? {
        try await dependencies.store.history(scope).inFlight
    }
}

extension CanaryEngine.Phase {
    /// Phases that already lead to an end; a signal does not redirect them.
    var isTerminal: Bool {
        switch self {
        case .reverting, .cancelling, .holding, .done: return true
        default: return false
        }
    }
}
