import Foundation

extension Dependencies {
    /// Runs `body` holding the lock of `scope` — taking it over, on the
    /// record, from a holder whose process is gone — and releases it however
    /// `body` ends. Without `locking` (dry runs) nothing is locked or recorded.
    func holdingLock<T>(
        _ scope: StateScope, deployment: String, locking: Bool = true,
        _ body: (DeploymentJournal) async throws(ShipctlError) -> T
    ) async throws(ShipctlError) -> T {
        let holder = LockHolder.thisProcess(actor: actor, deployment: deployment)
        let log = DeploymentRecorder(
            deployment: deployment, scope: scope, store: locking ? store : nil, redactor: redactor,
            lockHolder: locking ? holder : nil, spool: spool)
        if locking, case .tookOver(let previous) = try await store.acquireLock(scope, holder: holder) {
            try await journal(log).emit(.lockTakenOver(previous: previous))
        }
        // What an earlier run could not write goes in first: the history read next must include it.
        if locking { await deliverSpool(patience: .zero) }
        let result: Result<T, ShipctlError>
        do throws(ShipctlError) {
            // The notifications go out after the deployment's end and before the lock is let go: their
            // records belong to the deployment that holds it.
            result = .success(try await telling(log, following: locking, body))
        } catch {
            result = .failure(error)
        }
        if locking {
            await deliverSpool(patience: Self.spoolPatience(cancelled: cancellation.signal != nil))
            await store.releaseLock(scope, holder: holder)
        }
        return try result.get()
    }

    /// How long a run that ends with records in the spool waits for the log to answer: a database
    /// restart takes seconds; a cancelled CI job is killed outright a few seconds after its signal.
    static func spoolPatience(cancelled: Bool) -> Duration {
        cancelled ? .seconds(2) : .seconds(20)
    }

    /// Writes what waits in the spool to the log, trying again with growing pauses for up to
    /// `patience`, and says what became of it.
    func deliverSpool(patience: Duration) async {
        guard let spool, spool.pendingCount > 0 else { return }
        let started = clock.now()
        var pause: Duration = .milliseconds(250)
        var written = 0
        while true {
            let delivery = await spool.deliver(to: store)
            written += delivery.written
            if delivery.refused > 0 {
                reporter.warning(
                    "\(delivery.refused) line(s) of \(spool.path) were refused: not signed by this machine's spool key "
                        + "(\(spool.keyPath)) or of an action no revert writes; they are moved to \(spool.refusedPath) "
                        + "and were not written to the audit log")
            }
            if delivery.dropped > 0 {
                reporter.warning(
                    "\(delivery.dropped) kept deployment end(s) were not written: "
                        + "someone else finished the deployment meanwhile")
            }
            if delivery.remaining == 0 {
                if written > 0 {
                    reporter.event(
                        "spool", "the audit log answers again: \(written) record(s) kept while it did not are written")
                }
                return
            }
            // A signal while waiting shortens the wait as if it had come before.
            let limit = cancellation.signal == nil ? patience : min(patience, Self.spoolPatience(cancelled: true))
            guard clock.now() - started + pause <= limit else {
                let why = delivery.error.map { " (\($0.description))" } ?? ""
                reporter.warning(
                    "the audit log still does not answer\(why): \(delivery.remaining) record(s) wait in \(spool.path); "
                        + "the next shipctl command that takes the lock from this folder writes them")
                return
            }
            try? await clock.sleep(pause)
            pause = min(pause * 2, .seconds(2))
        }
    }
}
