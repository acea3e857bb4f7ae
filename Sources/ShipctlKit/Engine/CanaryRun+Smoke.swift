import Foundation

/// The smoke phases: before traffic, and after each shift.
extension CanaryRun {
    /// Smoke tests against the new version before it takes any traffic.
    func preTrafficSmoke(_ context: StepContext) async throws(ShipctlError) -> CanaryEngine.Phase {
        reporter.beginGroup("pre-traffic smoke tests on version \(context.canary)")
        defer { reporter.endGroup() }
        return try await smoke(context, step: "pre-traffic").map { .reverting(reason: $0) } ?? .shift(step: 0)
    }

    /// Runs the smoke tests against the canary; returns why they failed, if they did.
    func smoke(_ context: StepContext, step: String) async throws(ShipctlError) -> String? {
        guard !service.smoke.isEmpty else { return nil }
        if options.dryRun {
            for test in service.smoke {
                reporter.event("dry-run", "would run smoke test \(test.name) against version \(context.canary)")
            }
            return nil
        }
        let runner = SmokeRunner(
            provider: context.provider, runner: dependencies.runner, http: dependencies.http,
            redactor: dependencies.redactor,
            workingDirectory: URL(fileURLWithPath: engine.config.path).deletingLastPathComponent().path)
        for test in service.smoke {
            let result = await runner.run(test, version: context.canary, placeholders: context.placeholders)
            // A test cut short by a signal says nothing about the version: the signal decides what happens next.
            let interrupted = !result.passed && dependencies.cancellation.signal != nil
            try await journal.emit(
                .smokeTested(
                    test: test.name, step: step, version: context.canary, passed: result.passed,
                    cancelled: interrupted, detail: result.detail, durationMs: result.durationMs))
            if interrupted { return nil }
            if !result.passed { return "smoke test \(test.name) failed at \(step): \(result.detail)" }
        }
        return nil
    }
}
