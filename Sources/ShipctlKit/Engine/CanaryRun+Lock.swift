import Foundation

/// The canary's own lock, checked before traffic moves: a run whose lock was
/// taken from under it must not move traffic another runner may be moving.
extension CanaryRun {
    /// Nil while the lock is held. Once it is lost: taken back, the lock proves that no
    /// other runner holds it, and traffic goes back to stable; held by another runner, the
    /// run holds. A database that does not answer at all lets nobody take the lock, so
    /// traffic goes back to stable as `rollback` would, the log written when it answers.
    func lockLost() async -> CanaryEngine.Phase? {
        guard let holder = journal.lockHolder,
            let reason = await lockWatch.check(dependencies.store, journal.scope, holder: holder)
        else { return nil }
        reporter.warning("lost the deployment lock of \(service.name)/\(env.name): \(reason)")
        do {
            _ = try await dependencies.store.acquireLock(journal.scope, holder: holder)
            return .reverting(
                reason:
                    "the deployment lock was lost (\(reason)); taken back, it shows that no other runner moved this target"
            )
        } catch .locked(_, _, let other) {
            return .holding(reason: "the deployment lock was lost (\(reason)) and is held by \(other)")
        } catch {
            return .reverting(
                reason: "the deployment lock was lost (\(reason)) and the state database does not answer "
                    + "(\(error.description))")
        }
    }

    /// Leaves traffic where it is, says so in the log if it can, and ends the run.
    func holdWithoutLock(_ context: StepContext, reason: String) async -> PromoteEnding {
        let live = (try? await context.provider.readSplit())?.description ?? "unknown"
        try? await journal.emit(.held(step: "lock", reason: reason, live: live, outcome: "held"))
        return .stoppedWithoutLock(
            "\(reason): another runner may be moving \(context.provider.target) now, so this run leaves its traffic as it is (\(live)) and stops",
            hint:
                "see who holds the lock with `shipctl status --service \(service.name) --env \(env.name)`; once nobody does, "
                + "`shipctl resume` or `shipctl abort` the deployment")
    }
}
