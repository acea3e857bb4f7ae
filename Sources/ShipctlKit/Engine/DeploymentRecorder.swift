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

    public init(deployment: String, scope: StateScope, store: (any StateStore)?, redactor: Redactor, lockHolder: LockHolder? = nil) {
        self.deployment = deployment
        self.scope = scope
        self.store = store
        self.redactor = redactor
        self.lockHolder = lockHolder
    }

    public static func newDeploymentID(service: String, env: String, kind: String = "deploy", now: Date = Date()) -> String {
        let stamp = Timestamp.format(now).filter { $0.isNumber }.prefix(14)
        let suffix = String(UInt16.random(in: 0...UInt16.max), radix: 16)
        return "\(service)-\(env)-\(kind)-\(stamp)-\(suffix)"
    }

    @discardableResult
    public func record(_ phase: AuditEvent.Phase, _ action: String, step: String, args: [String: JSONValue] = [:],
                       outcome: String? = nil, durationMs: Int64? = nil) async throws(ShipctlError) -> AuditRecord? {
        guard let store else { return nil }
        var args = args.mapValues(redactor.redact)
        if DeploymentHistory.decisiveActions.contains(action), !scope.target.isEmpty {
            args[StateScope.targetArgument] = .string(scope.target)
        }
        return try await store.append(AuditEvent(deployment: deployment, service: service, env: env, step: step, phase: phase,
                                           action: action, args: args, outcome: outcome, durationMs: durationMs))
    }

    /// Records intent, performs the action, records its result (ok or failed, with the error).
    public func performing<T: Sendable>(_ action: String, step: String, args: [String: JSONValue],
                                        _ body: () async throws(ShipctlError) -> T) async throws(ShipctlError) -> T {
        try await performing(action, step: step, args: args) { (_: AuditRecord?) async throws(ShipctlError) -> T in try await body() }
    }

    /// The same, handing `body` the intent record (nil in a dry run), for actions that cite it.
    public func performing<T: Sendable>(_ action: String, step: String, args: [String: JSONValue],
                                        _ body: (AuditRecord?) async throws(ShipctlError) -> T) async throws(ShipctlError) -> T {
        let intent = try await record(.intent, action, step: step, args: args)
        let started = ContinuousClock.now
        do {
            let value = try await body(intent)
            try await record(.result, action, step: step, args: args, outcome: "ok", durationMs: (ContinuousClock.now - started).milliseconds)
            return value
        } catch {
            await recordFailure(action, step: step, args: args, error: error, started: started)
            throw error
        }
    }

    /// For the one action that must not wait on the log — putting traffic back while the
    /// team database restarts: when the intent cannot be written, `unwritten` hears why and
    /// the action is taken anyway; its result is written if the log answers by then.
    public func performingFirst<T: Sendable>(_ action: String, step: String, args: [String: JSONValue],
                                             unwritten: (ShipctlError) -> Void,
                                             _ body: () async throws(ShipctlError) -> T) async throws(ShipctlError) -> T {
        do { _ = try await record(.intent, action, step: step, args: args) } catch { unwritten(error) }
        let started = ContinuousClock.now
        do {
            let value = try await body()
            do {
                try await record(.result, action, step: step, args: args, outcome: "ok", durationMs: (ContinuousClock.now - started).milliseconds)
            } catch {
                unwritten(error)
            }
            return value
        } catch {
            await recordFailure(action, step: step, args: args, error: error, started: started)
            throw error
        }
    }

    private func recordFailure(_ action: String, step: String, args: [String: JSONValue], error: ShipctlError, started: ContinuousClock.Instant) async {
        var failed = args
        // Redacted before the cut, which could otherwise leave half a secret unrecognised.
        failed["error"] = .string(String(redactor.redact(error.description).prefix(2000)))
        _ = try? await record(.result, action, step: step, args: failed, outcome: "failed", durationMs: (ContinuousClock.now - started).milliseconds)
    }
}
