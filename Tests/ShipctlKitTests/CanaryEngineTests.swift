import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// The engine with every seam faked — a scripted traffic provider, an
/// in-memory state store, a manual clock, scripted metrics and flags — so the
/// phase table, the tally, cancellation and fan-out run in milliseconds.
final class CanaryEngineTests: XCTestCase {
    /// A scrape every second through `last`; `bad` samples are 0.5, the rest 0.001.
    static func samples(bad: (Int) -> Bool = { _ in false }, through last: Int = 120) -> [ScriptedMetricSource.Sample] {
        (0...last).map { .init(at: .seconds($0), value: bad($0) ? 0.5 : 0.001) }
    }

    static func service(_ name: String, steps: String, limits: String = "failure_limit: 1", onFailure: String = "")
        -> String
    {
        """
          \(name):
            provider: lambda
            lambda: { function: \(name), alias: live }
            strategy: { steps: [ \(steps) ] }
            analysis:
              interval: 4s
              \(limits)
              metrics:
                - { name: error-rate, prometheus: 'errors{service="\(name)",version="{{canary}}"}', max: 0.02 }
        \(onFailure)
        """
    }

    static func config(_ services: String...) throws -> ShipctlConfig {
        let yaml = """
            version: 1
            environments:
              prod: { region: us-east-1, prometheus: "http://prometheus.invalid:9090" }
            services:
            \(services.joined(separator: "\n"))
            """
        return try ConfigLoader(environment: [:]).parse(yaml: yaml, path: "/nonexistent/shipctl.yaml")
    }

    /// The fakes one run uses, wired into `Dependencies`.
    struct World: Sendable {
        let clock = ManualClock()
        let store = InMemoryStateStore()
        let cancellation = CancellationState()
        var providers: [String: ScriptedTrafficProvider] = [:]
        var flags = ScriptedFlagStore()
        var samples = CanaryEngineTests.samples()
        var byQuery: [String: [ScriptedMetricSource.Sample]] = [:]
        var spool: AuditSpool?
        /// Runs on every sleep, after the clock moved (e.g. to send a signal at some time).
        var onSleep: @Sendable (Duration) async -> Void = { _ in }

        init(services: [String]) {
            for name in services { providers[name] = ScriptedTrafficProvider(target: "scripted \(name):live") }
        }

        func dependencies(
            reporter: Reporter = Reporter(
                mode: .json, redactor: Redactor(secrets: []), summaryPath: nil, out: { _ in }, err: { _ in })
        ) -> Dependencies {
            let manual = clock.engineClock
            let onSleep = onSleep
            let clock = clock
            let engineClock = EngineClock(now: manual.now, wallNow: manual.wallNow) { duration in
                try await manual.sleep(duration)
                await onSleep(clock.offset)
            }
            var dependencies = Dependencies(
                runner: RecordingProcessRunner([]), http: ScriptedPrometheus { _ in "0" }, store: store,
                reporter: reporter,
                cancellation: cancellation, clock: engineClock,
                parts: ScriptedParts(
                    providers: providers,
                    metricSource: ScriptedMetricSource(clock: clock, samples: samples, byQuery: byQuery),
                    flagStore: flags))
            dependencies.spool = spool
            return dependencies
        }
    }

    /// A spool in a folder of its own, removed when the test ends.
    func temporarySpool() -> AuditSpool {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("spool-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        return AuditSpool(path: folder.appendingPathComponent("spool.jsonl").path)
    }

    /// Promotes version 2 of `service`; what it prints goes to `warnings` when given.
    static func promote(_ config: ShipctlConfig, _ world: World, service: String = "api", warnings: Transcript? = nil)
        async throws -> ShipctlError?
    {
        let service = try XCTUnwrap(config.service(named: service))
        let env = try XCTUnwrap(config.environments["prod"])
        let reporter = Reporter(
            mode: .json, redactor: Redactor(secrets: []), summaryPath: nil,
            out: { warnings?.append($0) }, err: { warnings?.append($0) })
        do {
            _ = try await CanaryEngine(
                config: config, service: service, env: env, dependencies: world.dependencies(reporter: reporter)
            )
            .promote(PromoteOptions(version: "2")).succeeded()
            return nil
        } catch {
            return error
        }
    }

    // MARK: the phase table

    func testAGoodCanaryGoesThroughEveryStepInOrderAndTheChainVerifies() async throws {
        let config = try Self.config(
            Self.service("api", steps: "{ weight: 10, pause: 8s }, { weight: 50, pause: 8s }, { weight: 100 }"))
        let world = World(services: ["api"])
        let error = try await Self.promote(config, world)
        XCTAssertNil(error)
        let provider = try XCTUnwrap(world.providers["api"])
        XCTAssertEqual(provider.changes, ["shift 10", "shift 50", "routeAll 2"])
        XCTAssertEqual(
            provider.split,
            TrafficSplit(stable: "2", revision: provider.split.revision, witness: provider.split.witness))
        XCTAssertEqual(
            world.store.actions,
            [
                "deployment.start info",
                "traffic.shift intent", "traffic.shift result", "analysis info", "analysis info",
                "traffic.shift intent", "traffic.shift result", "analysis info", "analysis info",
                "traffic.complete intent", "traffic.complete result",
                "deployment.finish info",
            ])
        XCTAssertEqual(world.store.all.last?.outcome, "succeeded")
        XCTAssertEqual(world.clock.offset, .seconds(16), "two 8 s pauses, nothing longer")
        let verification = try await world.store.verify()
        XCTAssertTrue(verification.isValid)
        XCTAssertEqual(verification.recordCount, 12)
    }

    func testAFailingStepRevertsFromWhereItIsAndNeverShiftsFurther() async throws {
        let config = try Self.config(
            Self.service("api", steps: "{ weight: 10, pause: 8s }, { weight: 50, pause: 8s }, { weight: 100 }"))
        var world = World(services: ["api"])
        world.samples = Self.samples(bad: { $0 >= 10 })  // bad from 10 s: in the second step
        let error = try await Self.promote(config, world)
        guard case .gatesFailed(let reason, let revertedTo)? = error else {
            return XCTFail("expected gates to fail, got \(String(describing: error))")
        }
        XCTAssertEqual(revertedTo, "1")
        XCTAssertTrue(reason.contains("error-rate"), reason)
        XCTAssertEqual(world.providers["api"]?.changes, ["shift 10", "shift 50", "routeAll 1 urgent"])
        XCTAssertEqual(world.store.all.last?.outcome, "rolled-back")
        // First failure at 12 s, confirmed by the sample scraped at 13 s.
        XCTAssertEqual(world.clock.offset, .seconds(13))
    }

    func testAFailureOnTheLastEvaluationOfAPauseIsConfirmedBeforeTheStepPasses() async throws {
        let config = try Self.config(Self.service("api", steps: "{ weight: 10, pause: 8s }, { weight: 100 }"))
        var world = World(services: ["api"])
        world.samples = Self.samples(bad: { $0 >= 8 })  // turns bad exactly as the pause ends
        let error = try await Self.promote(config, world)
        guard case .gatesFailed? = error else {
            return XCTFail("expected gates to fail, got \(String(describing: error))")
        }
        XCTAssertEqual(
            world.providers["api"]?.changes, ["shift 10", "routeAll 1 urgent"], "never 100% on an unconfirmed failure")
        // The failure at 8 s (the end of the pause) is confirmed by the sample scraped at 9 s.
        XCTAssertEqual(world.clock.offset, .seconds(9))
    }

    func testARuntimeFailureMidCanaryPutsTrafficBack() async throws {
        let config = try Self.config(
            Self.service("api", steps: "{ weight: 10, pause: 4s }, { weight: 50, pause: 4s }, { weight: 100 }"))
        let world = World(services: ["api"])
        world.providers["api"]?.fail("shift 50", with: .runtime("the platform said no"))
        let error = try await Self.promote(config, world)
        guard case .runtime(let message, _)? = error else {
            return XCTFail("expected the runtime error, got \(String(describing: error))")
        }
        XCTAssertEqual(message, "the platform said no")
        XCTAssertEqual(world.providers["api"]?.changes, ["shift 10", "shift 50 (failed)", "routeAll 1 urgent"])
        XCTAssertEqual(world.providers["api"]?.split.stable, "1")
    }

    /// The log's database goes away mid-canary: the failed analysis write stops the canary, and the revert
    /// moves traffic although it cannot write its intent first.
    func testTheRevertPutsTrafficBackWhenTheLogCannotBeWritten() async throws {
        let config = try Self.config(Self.service("api", steps: "{ weight: 10, pause: 8s }, { weight: 100 }"))
        var world = World(services: ["api"])
        let store = world.store
        world.onSleep = { offset in if offset >= .seconds(3) { store.refuseAppends(true) } }
        let warnings = Transcript()
        guard case .runtime(let message, _)? = try await Self.promote(config, world, warnings: warnings) else {
            return XCTFail("expected the log's failure")
        }
        XCTAssertTrue(message.contains("cannot reach the state database"), message)
        XCTAssertEqual(world.providers["api"]?.changes, ["shift 10", "routeAll 1 urgent"])
        XCTAssertEqual(world.providers["api"]?.split.stable, "1")
        XCTAssertTrue(
            warnings.lines.contains { $0.contains("traffic goes back regardless: the audit log cannot be written") },
            "\(warnings.lines)")
        XCTAssertEqual(
            world.store.actions, ["deployment.start info", "traffic.shift intent", "traffic.shift result"],
            "nothing was written once the log went away")
    }

    /// The database goes away just as a failed gate reverts: traffic goes back and the flags flip all the same.
    func testAGateRevertAndItsFlagsDoNotWaitOnTheLog() async throws {
        let flags = "    on_failure:\n      flags:\n        - { ssm: /app/MODEL, value: small }"
        let config = try Self.config(
            Self.service("api", steps: "{ weight: 10, pause: 8s }, { weight: 100 }", onFailure: flags))
        var world = World(services: ["api"])
        world.samples = Self.samples(bad: { $0 >= 4 })
        world.store.refuseAppends(from: AuditAction.trafficRevert)
        let warnings = Transcript()
        guard case .gatesFailed(_, let revertedTo)? = try await Self.promote(config, world, warnings: warnings) else {
            return XCTFail("expected the gate to fail")
        }
        XCTAssertEqual(revertedTo, "1")
        XCTAssertEqual(world.providers["api"]?.changes, ["shift 10", "routeAll 1 urgent"])
        XCTAssertEqual(Array(world.flags.current.values), ["small"])
        XCTAssertTrue(
            warnings.lines.contains { $0.contains("ssm /app/MODEL=small flips regardless") }, "\(warnings.lines)")
        XCTAssertTrue(
            warnings.lines.contains { $0.contains("the end of the deployment is not in the log yet") },
            "\(warnings.lines)")
    }

    /// The same with a spool, and the database back a second later: the revert, its flags and the end
    /// of the deployment reach the log in the order they happened, each saying when, before the run ends.
    func testWhatTheLogCouldNotTakeWaitsInTheSpoolAndReachesItWhenItAnswers() async throws {
        let flags = "    on_failure:\n      flags:\n        - { ssm: /app/MODEL, value: small }"
        let config = try Self.config(
            Self.service("api", steps: "{ weight: 10, pause: 8s }, { weight: 100 }", onFailure: flags))
        var world = World(services: ["api"])
        world.samples = Self.samples(bad: { $0 >= 4 })
        let spool = temporarySpool()
        world.spool = spool
        let store = world.store
        store.refuseAppends(from: AuditAction.trafficRevert)
        world.onSleep = { offset in if offset >= .seconds(7) { store.refuseAppends(false) } }
        let warnings = Transcript()
        guard case .gatesFailed? = try await Self.promote(config, world, warnings: warnings) else {
            return XCTFail("expected the gate to fail")
        }

        XCTAssertEqual(world.providers["api"]?.changes, ["shift 10", "routeAll 1 urgent"])
        XCTAssertTrue(warnings.lines.contains { $0.contains("the record waits in \(spool.path)") }, "\(warnings.lines)")
        XCTAssertTrue(
            warnings.lines.contains { $0.contains("the audit log answers again: 5 record(s)") }, "\(warnings.lines)")
        XCTAssertEqual(spool.pendingCount, 0)
        let late = store.all.filter { $0.args["spooled_at"] != nil }
        XCTAssertEqual(
            late.map { "\($0.action) \($0.phase.rawValue)" }.sorted(),
            [
                "deployment.finish info", "flag.set intent", "flag.set result", "traffic.revert intent",
                "traffic.revert result",
            ])
        XCTAssertEqual(store.all.last?.action, AuditAction.deploymentFinish, "the end comes last")
        XCTAssertEqual(store.all.filter { $0.action == AuditAction.deploymentFinish }.count, 1)
        let history = try await store.history(.apiProd)
        XCTAssertNil(history.inFlight, "the next promote finds nothing to resume")
        XCTAssertEqual(history.lastKnownGood, "1")
        let verification = try await store.verify()
        XCTAssertTrue(verification.isValid)
    }

    /// A log that does not answer before the run gives up waiting: the records stay in the spool and
    /// the next run writes them before it reads the history, so it finds nothing interrupted.
    func testTheNextRunWritesWhatTheSpoolKeptBeforeItDecides() async throws {
        let config = try Self.config(Self.service("api", steps: "{ weight: 10, pause: 8s }, { weight: 100 }"))
        var world = World(services: ["api"])
        world.samples = Self.samples(bad: { $0 >= 4 })
        let spool = temporarySpool()
        world.spool = spool
        world.store.refuseAppends(from: AuditAction.trafficRevert)
        let warnings = Transcript()
        guard case .gatesFailed? = try await Self.promote(config, world, warnings: warnings) else {
            return XCTFail("expected the gate to fail")
        }
        XCTAssertTrue(
            warnings.lines.contains {
                $0.contains("the audit log still does not answer") && $0.contains("3 record(s) wait in \(spool.path)")
            },
            "\(warnings.lines)")
        XCTAssertEqual(spool.pendingCount, 3)

        world.store.refuseAppends(false)
        let second = try await Self.promote(config, world)
        guard case .gatesFailed? = second else {
            return XCTFail("expected a second canary, not \(String(describing: second))")
        }
        XCTAssertEqual(spool.pendingCount, 0)
        let actions = world.store.all.map { "\($0.action) \($0.phase.rawValue)" }
        let firstEnd = try XCTUnwrap(actions.firstIndex(of: "deployment.finish info"))
        let secondStart = try XCTUnwrap(actions.lastIndex(of: "deployment.start info"))
        XCTAssertLessThan(firstEnd, secondStart, "\(actions)")
        XCTAssertNotNil(world.store.all[firstEnd].args["spooled_at"])
    }

    // MARK: the tally

    func testInconclusiveReadingsAreCountedToTheirOwnLimit() async throws {
        let config = try Self.config(
            Self.service(
                "api", steps: "{ weight: 10, pause: 60s }, { weight: 100 }",
                limits: "failure_limit: 1\n      inconclusive_limit: 2"))
        var world = World(services: ["api"])
        world.samples = []  // the backend has nothing at all
        let error = try await Self.promote(config, world)
        guard case .gatesFailed(let reason, _)? = error else {
            return XCTFail("expected gates to fail, got \(String(describing: error))")
        }
        XCTAssertTrue(reason.contains("inconclusive"), reason)
        let outcomes = world.store.all.filter { $0.action == AuditAction.analysis }.map { $0.outcome ?? "" }
        XCTAssertEqual(outcomes, ["inconclusive", "inconclusive", "inconclusive"], "the third passes the limit of 2")
        XCTAssertEqual(
            world.clock.offset, .seconds(12), "one every interval: an inconclusive reading is not confirmed early")
    }

    func testFailuresWithinTheLimitAreToleratedAndPassesDoNotResetThem() async throws {
        let config = try Self.config(
            Self.service("api", steps: "{ weight: 10, pause: 24s }, { weight: 100 }", limits: "failure_limit: 2"))
        var world = World(services: ["api"])
        // Bad at 4 s and 5 s (one failure and its confirmation), good, then bad again from 16 s.
        world.samples = Self.samples(bad: { (4...5).contains($0) || $0 >= 16 })
        let error = try await Self.promote(config, world)
        guard case .gatesFailed? = error else {
            return XCTFail("expected gates to fail, got \(String(describing: error))")
        }
        let outcomes = world.store.all.filter { $0.action == AuditAction.analysis }.map { $0.outcome ?? "" }
        XCTAssertEqual(
            outcomes, ["fail", "fail", "pass", "pass", "pass", "fail"],
            "the third failure in all passes failure_limit 2")
        // 4 s fails; confirmed at the 5 s scrape (fails again), so again at 6 s (passes);
        // then every interval from there: 10, 14, and 18, the third failure.
        XCTAssertEqual(world.clock.offset, .seconds(18))
    }

    // MARK: cancellation

    /// A world whose clock sends SIGTERM once it reaches `at`, as the command's signal watcher would: the state is set, the task cancelled.
    func promoteCancelled(at moment: Duration, hold: Bool = false) async throws -> (World, ShipctlError?) {
        let config = try Self.config(
            Self.service("api", steps: "{ weight: 10, pause: 8s }, { weight: 50, pause: 8s }, { weight: 100 }"))
        var world = World(services: ["api"])
        let box = TaskBox()
        let cancellation = world.cancellation
        world.onSleep = { now in
            if now >= moment, cancellation.receive(SIGTERM) { box.cancel() }
        }
        let service = try XCTUnwrap(config.service(named: "api"))
        let env = try XCTUnwrap(config.environments["prod"])
        let engine = CanaryEngine(config: config, service: service, env: env, dependencies: world.dependencies())
        let task = Task { () async -> ShipctlError? in
            do throws(ShipctlError) {
                _ = try await engine.promote(PromoteOptions(version: "2", holdOnCancel: hold)).succeeded()
                return nil
            } catch { return error }
        }
        box.set { task.cancel() }
        return (world, await task.value)
    }

    func testASignalMidPauseRevertsEvenThoughTheTaskIsCancelled() async throws {
        let (world, error) = try await promoteCancelled(at: .seconds(10))
        guard case .cancelled(let signal, let outcome)? = error else {
            return XCTFail("expected a cancellation, got \(String(describing: error))")
        }
        XCTAssertEqual(signal, SIGTERM)
        XCTAssertEqual(error?.exitCode, 143)
        XCTAssertTrue(outcome.contains("reverted to version 1"), outcome)
        XCTAssertEqual(world.providers["api"]?.changes, ["shift 10", "shift 50", "routeAll 1 urgent"])
        XCTAssertEqual(world.store.all.last?.outcome, "cancelled")
    }

    func testOnCancelHoldLeavesTheSplitAndTheDeploymentOpen() async throws {
        let (world, error) = try await promoteCancelled(at: .seconds(2), hold: true)
        guard case .cancelled? = error else {
            return XCTFail("expected a cancellation, got \(String(describing: error))")
        }
        XCTAssertEqual(world.providers["api"]?.changes, ["shift 10"])
        XCTAssertEqual(world.store.actions.last, "deployment.hold info")
        let history = try await world.store.history(.apiProd)
        XCTAssertNotNil(history.inFlight, "resume or abort can take it from here")
    }

    // MARK: flags beside the revert

    func testAFlagStoreThatHangsDoesNotDelayTheRevert() async throws {
        let flags = "    on_failure:\n      flags:\n        - { ssm: /app/MODEL, value: small }"
        let config = try Self.config(
            Self.service("api", steps: "{ weight: 10, pause: 8s }, { weight: 100 }", onFailure: flags))
        var world = World(services: ["api"])
        world.flags = ScriptedFlagStore(hanging: true)
        world.samples = Self.samples(bad: { $0 >= 1 })
        let frozen = world
        let running = Task { try await CanaryEngineTests.promote(config, frozen) }
        // The revert lands while the flag flip is still stuck in its store.
        let provider = try XCTUnwrap(world.providers["api"])
        for _ in 0..<5000 where !(provider.changes.contains("routeAll 1 urgent") && world.flags.pending == 1) {
            try await Task.sleep(for: .milliseconds(1))
        }
        XCTAssertEqual(provider.changes, ["shift 10", "routeAll 1 urgent"])
        XCTAssertEqual(world.flags.pending, 1, "the flip is still hanging")
        XCTAssertFalse(
            world.store.actions.contains("deployment.finish info"),
            "the deployment ends only when the flip has its result")
        world.flags.release()
        let error = try await running.value
        guard case .gatesFailed? = error else {
            return XCTFail("expected gates to fail, got \(String(describing: error))")
        }
        let actions = world.store.actions
        let revertIntent = try XCTUnwrap(actions.firstIndex(of: "traffic.revert intent"))
        let flagIntent = try XCTUnwrap(actions.firstIndex(of: "flag.set intent"))
        XCTAssertLessThan(revertIntent, flagIntent, "the traffic intent comes first: \(actions)")
        XCTAssertEqual(Array(actions.suffix(1)), ["deployment.finish info"])
        XCTAssertTrue(actions.contains("flag.set result"), "\(actions)")
        XCTAssertEqual(world.flags.current.values.first, "small")
    }

    // MARK: fan-out

    /// Waits (real time, at most two seconds) until `condition` holds.
    static func waitUntil(_ condition: @Sendable () -> Bool) async {
        for _ in 0..<2000 where !condition() {
            try? await Task.sleep(for: .milliseconds(1))
        }
    }

    static func fanOut(_ world: World, _ config: ShipctlConfig, maxParallel: Int, reporter: Reporter? = nil)
        async throws -> ShipctlError?
    {
        let env = try XCTUnwrap(config.environments["prod"])
        let versions = Dictionary(uniqueKeysWithValues: config.services.map { ($0.name, "2") })
        let dependencies = reporter.map { world.dependencies(reporter: $0) } ?? world.dependencies()
        do {
            _ = try await PromoteFanOut(config: config, env: env, dependencies: dependencies, maxParallel: maxParallel)
                .promote(config.services, versions: versions, options: PromoteOptions())
            return nil
        } catch {
            return error
        }
    }

    func testFanOutKeepsToMaxParallelAndReportsTheBadServiceWithExitThree() async throws {
        let names = ["a", "b", "c", "d", "e"]
        let config = try Self.config(
            names.map { Self.service($0, steps: "{ weight: 10, pause: 8s }, { weight: 100 }") }.joined(separator: "\n"))
        var world = World(services: names)
        // Bad for far longer than the run can last, however the five canaries interleave on the shared clock.
        world.byQuery = ["service=\"c\"": Self.samples(bad: { _ in true }, through: 3600)]
        let inFlight = InFlightCounter()
        for name in names {
            world.providers[name] = ScriptedTrafficProvider(target: name) { call in inFlight.observe(call) }
        }
        // The clock is shared and moves with every sleep: a canary alone could run through its
        // pause before the next one has started. Each sleep waits until two hold traffic (or no
        // more are to come), as on a real clock, where both pauses take the same time.
        world.onSleep = { _ in
            await Self.waitUntil { inFlight.current >= 2 || inFlight.started == names.count }
        }
        let error = try await Self.fanOut(world, config, maxParallel: 2)
        guard case .services(let failures)? = error else {
            let evaluations = world.store.all.filter { $0.service == "c" && $0.action == AuditAction.analysis }
            return XCTFail(
                "expected per-service failures, got \(String(describing: error)); at \(world.clock.offset) "
                    + "c made \(world.providers["c"]?.changes ?? []) after \(evaluations.map(\.args))")
        }
        XCTAssertEqual(failures.map(\.service), ["c"])
        XCTAssertEqual(error?.exitCode, 3)
        for name in names {
            XCTAssertEqual(world.providers[name]?.split.stable, name == "c" ? "1" : "2", name)
        }
        XCTAssertEqual(inFlight.most, 2, "two canaries at a time, never more")
        let deployments = Set(world.store.all.map(\.deployment))
        XCTAssertEqual(deployments.count, 5, "one deployment per service")
        let verification = try await world.store.verify()
        XCTAssertTrue(verification.isValid)
    }

    func testASignalDuringFanOutRevertsEveryCanaryInFlightAndStartsNoMore() async throws {
        let names = ["a", "b", "c", "d"]
        let config = try Self.config(
            names.map { Self.service($0, steps: "{ weight: 10, pause: 30s }, { weight: 100 }") }.joined(separator: "\n")
        )
        var world = World(services: names)
        let box = TaskBox()
        let cancellation = world.cancellation
        let first = [world.providers["a"], world.providers["b"]].compactMap { $0 }
        // The clock is shared and moves with every sleep: each sleep waits until both canaries
        // in flight hold traffic, so neither runs through its pause while the other is starting.
        world.onSleep = { now in
            await Self.waitUntil { first.allSatisfy { $0.changes.contains("shift 10") } }
            if now >= .seconds(8), cancellation.receive(SIGINT) { box.cancel() }
        }
        let frozen = world
        let running = Task { try await CanaryEngineTests.fanOut(frozen, config, maxParallel: 2) }
        box.set { running.cancel() }
        let error = try await running.value
        guard case .cancelled(let signal, let outcome)? = error else {
            return XCTFail("expected a cancellation, got \(String(describing: error))")
        }
        XCTAssertEqual(signal, SIGINT)
        XCTAssertTrue(outcome.contains("a, b") && outcome.contains("2 service(s) not started"), outcome)
        XCTAssertEqual(world.providers["a"]?.changes, ["shift 10", "routeAll 1 urgent"])
        XCTAssertEqual(world.providers["b"]?.changes, ["shift 10", "routeAll 1 urgent"])
        XCTAssertEqual(world.providers["c"]?.changes, [])
        XCTAssertEqual(world.providers["d"]?.changes, [])
    }
}

extension CanaryEngineTests {
    func testUnderGitHubActionsEachServiceGetsItsOwnGroupAndARowInTheSummary() async throws {
        let names = ["a", "b", "c"]
        let config = try Self.config(
            names.map { Self.service($0, steps: "{ weight: 10, pause: 8s }, { weight: 100 }") }.joined(separator: "\n"))
        var world = World(services: names)
        world.byQuery = ["service=\"b\"": Self.samples(bad: { _ in true })]
        let summary = FileManager.default.temporaryDirectory.appendingPathComponent(
            "summary-\(UUID().uuidString.prefix(8)).md")
        FileManager.default.createFile(atPath: summary.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: summary) }
        let lines = Transcript()
        let reporter = Reporter(
            mode: .githubActions, redactor: Redactor(secrets: []), summaryPath: summary.path, out: { lines.append($0) },
            err: { _ in })
        let error = try await Self.fanOut(world, config, maxParallel: 3, reporter: reporter)
        XCTAssertEqual(error?.exitCode, 3)
        let log = lines.lines
        // Live lines carry their service; then one group per service, in the order named, holding that service's lines only.
        let groups = log.enumerated().filter { $0.element.hasPrefix("::group::") }
        XCTAssertEqual(
            groups.map { String($0.element.prefix(12)) }, ["::group::a: ", "::group::b: ", "::group::c: "], "\(log)")
        XCTAssertTrue(groups[1].element.contains("exit 3"), groups[1].element)
        for (position, (start, title)) in groups.enumerated() {
            let name = names[position]
            let end = try XCTUnwrap(log[start...].firstIndex(of: "::endgroup::"), title)
            let inside = log[(start + 1)..<end]
            XCTAssertFalse(inside.isEmpty, title)
            XCTAssertTrue(inside.allSatisfy { $0.hasPrefix("[\(name)] ") }, "\(title): \(inside)")
            XCTAssertTrue(inside.contains { $0.contains("step 1/2") }, "\(title): \(inside)")
        }
        XCTAssertFalse(
            log[..<groups[0].offset].contains { $0.hasPrefix("::group::") || $0 == "::endgroup::" },
            "no group opens while services run side by side")
        let markdown = try String(contentsOf: summary, encoding: .utf8)
        XCTAssertTrue(markdown.contains("| service | outcome | version | exit |"), markdown)
        XCTAssertTrue(markdown.contains("| a | succeeded | 2 (from 1) | 0 |"), markdown)
        XCTAssertTrue(markdown.contains("| b | ") && markdown.contains(" | 3 |"), markdown)
    }
}

/// Lets a hook that exists before a task cancel that task once it exists.
final class TaskBox: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelTask: (@Sendable () -> Void)?
    private var wanted = false

    func set(_ cancel: @escaping @Sendable () -> Void) {
        let now = lock.withLock {
            cancelTask = cancel
            return wanted
        }
        if now { cancel() }
    }

    func cancel() {
        let cancel = lock.withLock {
            wanted = true
            return cancelTask
        }
        cancel?()
    }
}

/// How many canaries hold traffic at once: one is in flight from its first shift to its last route-all.
final class InFlightCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var now = 0
    private var peak = 0

    private var shifted = 0

    var most: Int { lock.withLock { peak } }
    var current: Int { lock.withLock { now } }
    /// Canaries that have taken traffic so far.
    var started: Int { lock.withLock { shifted } }

    func observe(_ call: String) {
        lock.withLock {
            if call == "shift 10" {
                now += 1
                shifted += 1
            } else if call.hasPrefix("routeAll") {
                now -= 1
            }
            peak = max(peak, now)
        }
    }
}
