import Foundation

/// Writes one deployment's audit records. Intent records are durable before the
/// action runs (write-ahead); in `--dry-run` nothing is written.
public struct DeploymentRecorder: Sendable {
    public let deployment: String
    /// Whose records these are; the records a history is decided by name its target.
    public let scope: StateScope
    public var service: String { scope.service }
    public var env: String { scope.env }
    private let store: (any StateStore)?
    private let redactor: Redactor
    /// Who holds the deployment's lock while these records are written; nil when nothing is locked.
    public let lockHolder: LockHolder?
    /// Where records of actions already taken wait while the log does not answer.
    public let spool: AuditSpool?

    public init(
        deployment: String, scope: StateScope, store: (any StateStore)?, redactor: Redactor,
        lockHolder: LockHolder? = nil,
        spool: AuditSpool? = nil
    ) {
        self.deployment = deployment
        self.scope = scope
        self.store = store
        self.redactor = redactor
        self.lockHolder = lockHolder
        self.spool = spool
    }

    public static func newDeploymentID(service: String, env: String, kind: String = "deploy", now: Date = Date())
        -> String
    {
        let stamp = Timestamp.format(now).filter { $0.isNumber }.prefix(14)
        let suffix = String(UInt16.random(in: 0...UInt16.max), radix: 16)
        return "\(service)-\(env)-\(kind)-\(stamp)-\(suffix)"
    }

    @discardableResult
    public func record(
        _ phase: AuditEvent.Phase, _ action: String, step: String, args: [String: JSONValue] = [:],
        outcome: String? = nil, durationMs: Int64? = nil
    ) async throws(ShipctlError) -> AuditRecord? {
        guard let store else { return nil }
        return try await store.append(
            event(phase, action, step: step, args: args, outcome: outcome, durationMs: durationMs))
    }

    /// The event as the log gets it: redacted, and naming the target when it decides the history.
    private func event(
        _ phase: AuditEvent.Phase, _ action: String, step: String, args: [String: JSONValue], outcome: String?,
        durationMs: Int64?
    ) -> AuditEvent {
        var args = args.mapValues(redactor.redact)
        if DeploymentHistory.decisiveActions.contains(action), !scope.target.isEmpty {
            args[StateScope.targetArgument] = .string(scope.target)
        }
        return AuditEvent(
            deployment: deployment, service: service, env: env, step: step, phase: phase, action: action, args: args,
            outcome: outcome, durationMs: durationMs)
    }

    /// For the record of an action already taken (a revert, the flags beside it, the end of a
    /// deployment): written to the log, or, when the log does not answer, kept in the spool until
    /// it does. Records already waiting there go first, so the log keeps their order. `unwritten`
    /// hears what became of a record that could not be written now.
    public func recordOrKeep(
        _ phase: AuditEvent.Phase, _ action: String, step: String, args: [String: JSONValue] = [:],
        outcome: String? = nil, durationMs: Int64? = nil, unwritten: (String) -> Void
    ) async {
        guard let store else { return }
        let event = event(phase, action, step: step, args: args, outcome: outcome, durationMs: durationMs)
        var failure: ShipctlError?
        if let spool, await spool.deliver(to: store).remaining > 0 {
            failure = .runtime("records kept earlier still cannot be written")
        } else {
            do { try await store.append(event) } catch { failure = error }
        }
        guard let failure else { return }
        guard let spool else { return unwritten("the audit log cannot be written (\(failure.description))") }
        do {
            try spool.keep(event, at: Date())
            unwritten(
                "the audit log cannot be written (\(failure.description)); the record waits in \(spool.path) until it answers"
            )
        } catch {
            unwritten("the audit log cannot be written (\(failure.description)), nor the spool (\(error.description))")
        }
    }

    /// Records intent, performs the action, records its result (ok or failed, with the error).
    public func performing<T: Sendable>(
        _ action: String, step: String, args: [String: JSONValue],
        _ body: () async throws(ShipctlError) -> T
    ) async throws(ShipctlError) -> T {
        try await performing(action, step: step, args: args) { (_: AuditRecord?) async throws(ShipctlError) -> T in
            try await body()
        }
    }

    /// The same, handing `body` the intent record (nil in a dry run), for actions that cite it.
    public func performing<T: Sendable>(
        _ action: String, step: String, args: [String: JSONValue],
        _ body: (AuditRecord?) async throws(ShipctlError) -> T
    ) async throws(ShipctlError) -> T {
        let intent = try await record(.intent, action, step: step, args: args)
        let started = ContinuousClock.now
        do {
            let value = try await body(intent)
            try await record(
                .result, action, step: step, args: args, outcome: "ok",
                durationMs: (ContinuousClock.now - started).milliseconds)
            return value
        } catch {
            await recordFailure(action, step: step, args: args, error: error, started: started)
            throw error
        }
    }

    /// For the one action that must not wait on the log — putting traffic back while the
    /// team database restarts: when the intent cannot be written, it is kept in the spool,
    /// `unwritten` hears so and the action is taken anyway; its result follows the same way.
    public func performingFirst<T: Sendable>(
        _ action: String, step: String, args: [String: JSONValue],
        unwritten: (String) -> Void,
        _ body: () async throws(ShipctlError) -> T
    ) async throws(ShipctlError) -> T {
        await recordOrKeep(.intent, action, step: step, args: args, unwritten: unwritten)
        let started = ContinuousClock.now
        do {
            let value = try await body()
            await recordOrKeep(
                .result, action, step: step, args: args, outcome: "ok",
                durationMs: (ContinuousClock.now - started).milliseconds,
                unwritten: unwritten)
            return value
        } catch {
            await recordOrKeep(
                .result, action, step: step, args: Self.failed(args, error: error, redactor: redactor),
                outcome: "failed",
                durationMs: (ContinuousClock.now - started).milliseconds, unwritten: unwritten)
            throw error
        }
    }

    private func recordFailure(
        _ action: String, step: String, args: [String: JSONValue], error: ShipctlError, started: ContinuousClock.Instant
    ) async {
        _ = try? await record(
            .result, action, step: step, args: Self.failed(args, error: error, redactor: redactor), outcome: "failed",
            durationMs: (ContinuousClock.now - started).milliseconds)
    }

    /// The arguments of a failed action's result, with the error.
    private static func failed(_ args: [String: JSONValue], error: ShipctlError, redactor: Redactor) -> [String:
        JSONValue]
    {
        var failed = args
        // Redacted before the cut, which could otherwise leave half a secret unrecognised.
        failed["error"] = .string(String(redactor.redact(error.description).prefix(2000)))
        return failed
    }
}
