import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// A deployment as an OpenTelemetry trace, exported over OTLP/HTTP to a real collector (rotel) in the
/// test world, which prints every span it receives: the span tree, its attributes, the gate events,
/// the parent a CI pipeline hands over, the trace a smoke script continues — and an endpoint that never
/// answers, which must delay neither the revert nor change the exit code.
final class TraceTests: WorldTestCase {
    override class var startsCollector: Bool { true }

    static let parent = TraceContext(traceID: "4bf92f3577b34da6a3ce929d0e0e4736", spanID: "00f067aa0ba902b7")
    static let apiKey = "otel-api-key-5e1d0c"

    /// A canary whose error rate is 50 %, with a smoke script that keeps the TRACEPARENT it was given.
    func failingCanary(function: String) async throws -> (config: String, traceparentFile: String) {
        try await world.createFunction(function, versions: 2)
        try await world.setBehaviour(version: "2", errorRate: 0.5)
        let service = LambdaPromoteTests.lambdaService(
            function: function, steps: "          - { weight: 50, pause: 30s }\n          - { weight: 100 }"
        ).replacingOccurrences(
            of: "- { name: invoke, invoke: { payload: '{\"ping\": true}' } }",
            with: "- { name: trace, run: [\"./smoke.sh\"] }")
        let config = try world.writeConfig(SampleConfig.inWorld(services: service))
        let folder = URL(fileURLWithPath: config).deletingLastPathComponent()
        let kept = folder.appendingPathComponent("traceparent.txt").path
        let script = folder.appendingPathComponent("smoke.sh").path
        try "#!/bin/sh\nprintf '%s' \"$TRACEPARENT\" > '\(kept)'\n".write(
            toFile: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
        return (config, kept)
    }

    /// The spans of `traceID` the collector has printed, once their number stops growing (at most 10 s).
    func spans(of traceID: String) async throws -> [CollectedSpan] {
        let log = try XCTUnwrap(world.collectorLog)
        var seen: [CollectedSpan] = []
        for _ in 0..<50 {
            let now = CollectedSpan.all(inLog: log).filter { $0.traceID == traceID }
            if !now.isEmpty && now.count == seen.count { return now }
            seen = now
            try await Task.sleep(for: .milliseconds(200))
        }
        return seen
    }

    func testAFailedCanaryIsOneTraceUnderThePipelinesSpanWithItsStepsGatesAndRevert() async throws {
        let (config, kept) = try await failingCanary(function: "trace-bad")
        world.environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = try XCTUnwrap(world.collectorURL)
        world.environment["OTEL_EXPORTER_OTLP_HEADERS"] = "x-api-key=\(Self.apiKey)"
        world.environment["OTEL_SERVICE_NAME"] = "ship-ci"
        world.environment["TRACEPARENT"] = Self.parent.traceparent
        let run = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config)
        XCTAssertEqual(run.status, 3, run.output)
        XCTAssertFalse(run.output.contains("not sent"), run.output)

        let spans = try await spans(of: Self.parent.traceID)
        let names = spans.map(\.name)
        let root = try XCTUnwrap(spans.first { $0.name == "deploy api/prod" }, "\(names)")
        XCTAssertEqual(root.parentID, Self.parent.spanID, "the pipeline's span is the deployment's parent")
        XCTAssertEqual(root.status, "STATUS_CODE_ERROR")
        let deployment = try XCTUnwrap(try world.auditRecords().first?["deployment"]?.stringValue)
        for (key, value) in [
            "cicd.pipeline.task.type": "deploy", "deployment.environment.name": "prod", "deployment.id": deployment,
            "deployment.status": "failed", "shipctl.version.stable": "1", "shipctl.version.canary": "2",
            "shipctl.outcome": "rolled-back",
        ] {
            XCTAssertEqual(root.attributes[key], value, key)
        }

        let step = try XCTUnwrap(spans.first { $0.name == "step 1/2 (50%)" }, "\(names)")
        XCTAssertEqual(step.parentID, root.spanID)
        let shift = try XCTUnwrap(spans.first { $0.name == "shift 50% to 2" }, "\(names)")
        XCTAssertEqual(shift.parentID, step.spanID, "the traffic call happens in its step")
        XCTAssertEqual(
            spans.filter { $0.name == "smoke trace" }.map(\.parentID), [root.spanID, step.spanID],
            "the smoke test before any traffic, then the one after the step's shift")
        let revert = try XCTUnwrap(spans.first { $0.name == "revert to 1" }, "\(names)")
        XCTAssertEqual(revert.parentID, root.spanID)
        XCTAssertTrue(spans.contains { $0.name.hasPrefix("flag ") && $0.parentID == root.spanID }, "\(names)")
        let failedGate = try XCTUnwrap(
            step.events.first { $0.name == "gate" && $0.attributes["shipctl.verdict"] == "fail" }, "\(step.events)")
        XCTAssertEqual(failedGate.attributes["shipctl.metric"], "error-rate")
        XCTAssertEqual(failedGate.attributes["shipctl.threshold"], "max 0.02")
        XCTAssertGreaterThan(Double(failedGate.attributes["shipctl.value"] ?? "") ?? 0, 0.02)

        let traceparent = try String(contentsOfFile: kept, encoding: .utf8)
        let continued = try XCTUnwrap(TraceContext.parse(traceparent: traceparent), traceparent)
        XCTAssertEqual(continued.traceID, Self.parent.traceID, "the smoke script continues the deployment's trace")
        XCTAssertTrue(spans.contains { $0.spanID == continued.spanID })

        let log = try String(contentsOfFile: try XCTUnwrap(world.collectorLog), encoding: .utf8)
        XCTAssertTrue(log.contains("service.name: Str(ship-ci)"), "OTEL_SERVICE_NAME names the resource")
        XCTAssertFalse(run.output.contains(Self.apiKey))
    }

    /// A TRACEPARENT whose hex digits are fullwidth (`４` is a hex digit to `Character.isHexDigit`) is no
    /// header at all: the deployment starts a trace of its own, and no child is handed the forged one.
    func testATraceparentWithFullwidthDigitsIsRefused() async throws {
        let (config, kept) = try await failingCanary(function: "trace-wide")
        world.environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = try XCTUnwrap(world.collectorURL)
        let fullwidth = "00-４bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        world.environment["TRACEPARENT"] = fullwidth
        let run = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config)
        XCTAssertEqual(run.status, 3, run.output)
        let traceparent = try String(contentsOfFile: kept, encoding: .utf8)
        XCTAssertTrue(traceparent.allSatisfy(\.isASCII), "the forged header reached a child: \(traceparent)")
        let own = try XCTUnwrap(TraceContext.parse(traceparent: traceparent), traceparent)
        XCTAssertFalse(fullwidth.contains(own.traceID.dropFirst()), "the deployment continued the forged trace")
    }

    func testAnEndpointThatNeverAnswersDelaysNeitherTheRevertNorTheExitCode() async throws {
        let (config, _) = try await failingCanary(function: "trace-hang")
        world.environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = "\(world.notifyURL)/hang/v1/traces"
        let run = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config)
        XCTAssertEqual(run.status, 3, run.output)
        XCTAssertTrue(
            run.stderr.contains("the trace of this deployment was not sent to 127.0.0.1"),
            "a warning says so: \(run.stderr)")
        let alias = try await world.alias("trace-hang")
        XCTAssertEqual(alias.version, "1")

        let answer = await SystemProcessRunner().run(
            ProcessRequest(
                "curl", ["-sf", "\(world.notifyURL)/fake/requests"], timeout: .seconds(10), retry: .never,
                mutating: false))
        guard case .array(let requests)? = JSONValue.parse(answer.stdout) else { return XCTFail(answer.stderr) }
        let exports = requests.filter { $0["path"]?.stringValue == "/hang/v1/traces" }
        XCTAssertEqual(exports.count, 2, "one try and one more")
        let reverted = try XCTUnwrap(
            try world.auditRecords().last {
                $0["action"]?.stringValue == AuditAction.trafficRevert && $0["phase"]?.stringValue == "result"
            })
        let revertedAt = try XCTUnwrap(reverted["ts"]?.stringValue.flatMap(RFC3339.parse))
        let firstExport = try XCTUnwrap(exports.first?["at"]?.doubleValue)
        XCTAssertLessThan(revertedAt.timeIntervalSince1970, firstExport, "traffic was back before the export began")
    }
}
