import Foundation

extension Dependencies {
    /// Runs `body` holding the lock of `scope` — taking it over, on the
    /// record, from a holder whose process is gone — and releases it however
    /// `body` ends. Without `locking` (dry runs) nothing is locked or recorded.
    func holdingLock<T>(_ scope: StateScope, deployment: String, locking: Bool = true,
                        _ body: (DeploymentRecorder) async throws(ShipctlError) -> T) async throws(ShipctlError) -> T {
        let holder = LockHolder.thisProcess(actor: actor, deployment: deployment)
        let recorder = DeploymentRecorder(deployment: deployment, scope: scope, store: locking ? store : nil, redactor: redactor,
                                          lockHolder: locking ? holder : nil)
        if locking {
            if case let .tookOver(previous) = try await store.acquireLock(scope, holder: holder) {
                reporter.warning("took over the lock of \(previous), whose process is gone")
                try await recorder.record(.info, AuditAction.lockTakeover, step: "lock", args: ["previous": .string(previous)])
            }
        }
        do {
            let value = try await body(recorder)
            if locking { await store.releaseLock(scope, holder: holder) }
            return value
        } catch {
            if locking { await store.releaseLock(scope, holder: holder) }
            throw error
        }
    }
}
