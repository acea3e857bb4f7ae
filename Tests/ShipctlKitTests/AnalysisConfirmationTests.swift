import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// The engine in-process, with a recording process runner for the aws CLI, a
/// scripted Prometheus and a real local state store: a failing metric is
/// confirmed at the next scrape, not a whole interval later, and the flag flips
/// run beside the revert instead of after it.
final class AnalysisConfirmationTests: XCTestCase {
    var directory: URL!

    override func setUp() {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "confirm-\(UUID().uuidString.prefix(8))")
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: directory)
    }

    static let canaryQuery = "errors{version=\"2\"}"

    func config(confirm: String, flags: Bool = false) throws -> ShipctlConfig {
        let yaml = """
            version: 1
            state: { dir: "\(directory.appendingPathComponent("state").path)" }
            environments:
              prod: { region: us-east-1, prometheus: "http://prometheus.invalid:9090" }
            services:
              api:
                provider: lambda
                lambda: { function: f, alias: live }
                strategy: { steps: [ { weight: 10, pause: 20s } ] }
                analysis:
                  interval: 4s
                  failure_limit: 1
                  confirm: \(confirm)
                  metrics:
                    - { name: error-rate, prometheus: 'errors{version="{{canary}}"}', max: 0.02 }
            \(flags ? "    on_failure:\n      flags:\n        - { ssm: /app/MODEL, value: small }" : "")
            """
        return try ConfigLoader(environment: [:]).parse(
            yaml: yaml, path: directory.appendingPathComponent("shipctl.yaml").path)
    }

    /// An alias on version 1 that takes the canary and the revert; SSM puts that take a second.
    static func lambda() -> RecordingProcessRunner {
        RecordingProcessRunner([
            .init(["get-alias"], stdout: "{\"FunctionVersion\":\"1\",\"RevisionId\":\"r1\"}"),
            .init(["get-function-configuration"], stdout: "{\"Version\":\"2\"}"),
            .init(["update-alias"]) { argv in
                let routing = argv.firstIndex(of: "--routing-config").map { argv[$0 + 1] } ?? ""
                let version = argv.firstIndex(of: "--function-version").map { argv[$0 + 1] } ?? "1"
                return .scripted(
                    stdout: routing.contains("\"2\":")
                        ? "{\"FunctionVersion\":\"1\",\"RoutingConfig\":{\"AdditionalVersionWeights\":{\"2\":0.1}},\"RevisionId\":\"r2\"}"
                        : "{\"FunctionVersion\":\"\(version)\",\"RevisionId\":\"r3\"}")
            },
            .init(["put-parameter"], stdout: "{\"Version\":2}", delay: .seconds(1)),
        ])
    }

    func promote(
        _ config: ShipctlConfig, runner: RecordingProcessRunner, prometheus: ScriptedPrometheus,
        clock: ManualClock? = nil, metrics: (any MetricSource)? = nil
    ) async throws -> (ShipctlError?, LocalStateStore) {
        let store = LocalStateStore(
            directory: directory.appendingPathComponent("state"), actor: Actor(name: "test", run: nil))
        let reporter = Reporter(
            mode: .json, redactor: Redactor(secrets: []), summaryPath: nil, out: { _ in }, err: { _ in })
        let dependencies = Dependencies(
            runner: runner, http: prometheus, store: store, reporter: reporter, clock: clock?.engineClock ?? .system,
            parts: ScriptedParts(metricSource: metrics))
        let service = try XCTUnwrap(config.service(named: "api"))
        let env = try XCTUnwrap(config.environments["prod"])
        do {
            _ = try await CanaryEngine(config: config, service: service, env: env, dependencies: dependencies).promote(
                PromoteOptions(version: "2")
            ).succeeded()
            return (nil, store)
        } catch {
            return (error, store)
        }
    }

    /// The analysis records of the canary metric: whether each was a confirmation.
    func confirmations(_ store: LocalStateStore) async throws -> [Bool] {
        try await store.records().filter { $0.action == AuditAction.analysis }.map {
            $0.args["confirming"] == .bool(true)
        }
    }

    func testAFailingMetricIsConfirmedAtTheNextScrapeNotAnIntervalLater() async throws {
        let prometheus = ScriptedPrometheus(scrapeInterval: 0.25) { _ in "0.5" }
        let (error, store) = try await promote(
            try config(confirm: "next-sample"), runner: Self.lambda(), prometheus: prometheus)
        guard case .gatesFailed? = error else {
            return XCTFail("expected the gates to fail, got \(String(describing: error))")
        }
        let asked = prometheus.asked.filter { $0.query == Self.canaryQuery }.map(\.at)
        XCTAssertEqual(asked.count, 2, "one failure, one confirmation, then the revert: \(asked)")
        let confirmations = try await confirmations(store)
        XCTAssertEqual(
            confirmations, [false, true], "the second evaluation is the confirmation, not the next interval's")
        // A new sample: the targets were read after the first query, and a scrape fell between the two.
        XCTAssertTrue(prometheus.targetsRead.contains { $0 > asked[0] && $0 <= asked[1] })
        XCTAssertGreaterThan(
            (asked[1].timeIntervalSince1970 / 0.25).rounded(.down),
            (asked[0].timeIntervalSince1970 / 0.25).rounded(.down))
    }

    func testAFixedConfirmationDelayIsKept() async throws {
        let prometheus = ScriptedPrometheus { _ in "0.5" }
        let (error, store) = try await promote(try config(confirm: "2s"), runner: Self.lambda(), prometheus: prometheus)
        guard case .gatesFailed? = error else {
            return XCTFail("expected the gates to fail, got \(String(describing: error))")
        }
        let asked = prometheus.asked.filter { $0.query == Self.canaryQuery }.map(\.at)
        XCTAssertEqual(asked.count, 2, "\(asked)")
        let confirmations = try await confirmations(store)
        XCTAssertEqual(confirmations, [false, true])
        XCTAssertGreaterThanOrEqual(asked[1].timeIntervalSince(asked[0]), 2, "the confirmation waits its delay")
        XCTAssertTrue(prometheus.targetsRead.isEmpty, "a fixed delay does not ask for scrapes")
    }

    func testAPassingConfirmationGoesBackToTheInterval() async throws {
        let calls = Counter()
        let prometheus = ScriptedPrometheus { query in
            query == AnalysisConfirmationTests.canaryQuery && calls.next() == 1 ? "0.5" : "0.001"
        }
        let config = try config(confirm: "next-sample").replacingPause(with: "9s")
        let (error, store) = try await promote(config, runner: Self.lambda(), prometheus: prometheus)
        XCTAssertNil(error, "one failure within failure_limit 1, then passes")
        let confirmations = try await confirmations(store)
        XCTAssertEqual(
            confirmations, [false, true, false, false],
            "at 4 s (fail), its confirmation (pass), at 8 s, and at the end of the 9 s pause")
    }

    // MARK: on a manual clock

    /// A scrape every second; from `badFrom` on, the canary's error rate is 0.5, before it 0.001.
    static func samples(badFrom: Int, through last: Int = 40, missing: ClosedRange<Int>? = nil) -> [ScriptedMetricSource
        .Sample]
    {
        (0...last).filter { !(missing?.contains($0) ?? false) }.map {
            .init(at: .seconds($0), value: $0 >= badFrom ? 0.5 : 0.001)
        }
    }

    func testOnAManualClockTheRevertStartsOnTheSecondFailingSample() async throws {
        let clock = ManualClock()
        let metrics = ScriptedMetricSource(clock: clock, samples: Self.samples(badFrom: 5))
        let (error, store) = try await promote(
            try config(confirm: "next-sample"), runner: Self.lambda(), prometheus: ScriptedPrometheus { _ in "0" },
            clock: clock, metrics: metrics)
        guard case .gatesFailed? = error else {
            return XCTFail("expected the gates to fail, got \(String(describing: error))")
        }
        // 4 s passes; 8 s sees the first bad sample (at 5 s… 8 s); the next scrape, at 9 s, confirms it.
        XCTAssertEqual(metrics.reads, [.seconds(4), .seconds(8), .seconds(9)])
        let confirmations = try await confirmations(store)
        XCTAssertEqual(confirmations, [false, false, true])
        let actions = try await store.records().map(\.action)
        XCTAssertEqual(
            actions.filter { $0 == AuditAction.trafficRevert }.count, 2, "intent and result of the revert: \(actions)")
    }

    func testOnAManualClockARepeatedSampleIsNotCountedTwice() async throws {
        let clock = ManualClock()
        // One bad sample at 6 s, then the scrapes stop until 13 s (and come back good).
        let samples = Self.samples(badFrom: 6, missing: 7...12).map {
            $0.at > .seconds(6) ? .init(at: $0.at, value: 0.001) : $0
        }
        let metrics = ScriptedMetricSource(clock: clock, samples: samples)
        let (error, store) = try await promote(
            try config(confirm: "next-sample"), runner: Self.lambda(), prometheus: ScriptedPrometheus { _ in "0" },
            clock: clock, metrics: metrics)
        XCTAssertNil(error, "the one bad sample counts once; failure_limit 1 tolerates it")
        XCTAssertEqual(
            metrics.reads, [.seconds(4), .seconds(8), .seconds(16), .seconds(20)],
            "no read at 12 s: nothing new to read")
        let analyses = try await store.records().filter { $0.action == AuditAction.analysis }
        XCTAssertEqual(analyses.map { $0.outcome ?? "" }, ["pass", "fail", "inconclusive", "pass", "pass"])
        XCTAssertTrue(
            analyses[2].args["reason"]?.stringValue?.contains("not counted twice") ?? false, "\(analyses[2].args)")
    }

    func testTheFlagFlipsRunBesideTheRevertAndTheRevertComesFirstInTheLog() async throws {
        let prometheus = ScriptedPrometheus { _ in "0.5" }
        let runner = Self.lambda()
        let (error, store) = try await promote(
            try config(confirm: "next-sample", flags: true), runner: runner, prometheus: prometheus)
        guard case .gatesFailed? = error else {
            return XCTFail("expected the gates to fail, got \(String(describing: error))")
        }
        let revert = try XCTUnwrap(runner.completions.last { $0.argv.contains("update-alias") })
        let flag = try XCTUnwrap(runner.completions.first { $0.argv.contains("put-parameter") })
        XCTAssertLessThan(revert.at, flag.at, "the revert does not wait for the one-second flag flip")
        let actions = try await store.records().map { "\($0.action) \($0.phase.rawValue)" }
        let revertIntent = try XCTUnwrap(actions.firstIndex(of: "traffic.revert intent"))
        let flagIntent = try XCTUnwrap(actions.firstIndex(of: "flag.set intent"))
        XCTAssertLessThan(revertIntent, flagIntent, "\(actions)")
        XCTAssertTrue(actions.contains("flag.set result"), "\(actions)")
    }
}

/// Counts calls across tasks.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int {
        lock.withLock {
            value += 1
            return value
        }
    }
}

extension ShipctlConfig {
    /// The same configuration with the one step's pause replaced (for a test's timing).
    func replacingPause(with pause: String) throws -> ShipctlConfig {
        var copy = self
        guard let index = copy.services.firstIndex(where: { $0.name == "api" }),
            let duration = DurationParser.parse(pause)
        else { return self }
        copy.services[index].steps[0].pause = duration
        return copy
    }
}
