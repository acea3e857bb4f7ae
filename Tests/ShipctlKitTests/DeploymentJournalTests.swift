import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// Each moment of a deployment is told once: the audit log and the reporter hear it from the journal,
/// and nothing reaches either another way. A third reader, beside them, gets every entry; what the log
/// holds is exactly what those entries say it keeps, and the reporter's events are exactly what they
/// show as.
final class DeploymentJournalTests: XCTestCase {
    static let flags = "    on_failure:\n      flags:\n        - { ssm: /app/MODEL, value: small }"

    static func config() throws -> ShipctlConfig {
        try CanaryEngineTests.config(
            CanaryEngineTests.service(
                "api", steps: "{ weight: 10, pause: 8s }, { weight: 50, pause: 8s }, { weight: 100 }",
                onFailure: flags))
    }

    /// One world's runs, heard by the reporter (its `--json` lines) and by a recording reader.
    struct Heard {
        var world = CanaryEngineTests.World(services: ["api"])
        let reader = RecordingJournalReader()
        let printed = Transcript()

        /// With `moment`, SIGTERM arrives once the clock reaches it; without, no signal ever does.
        func dependencies(signalAt moment: Duration? = nil) -> Dependencies {
            var world = world
            let cancellation = CancellationState()
            if let moment {
                world.onSleep = { now in if now >= moment { _ = cancellation.receive(SIGTERM) } }
            }
            var dependencies = world.dependencies(
                reporter: Reporter(
                    mode: .json, redactor: Redactor(secrets: []), summaryPath: nil, out: { printed.append($0) },
                    err: { printed.append($0) }))
            dependencies.cancellation = cancellation
            dependencies.readers = [reader]
            return dependencies
        }
    }

    func testEveryMomentReachesTheLogAndTheReporterOnceThroughTheJournal() async throws {
        let config = try Self.config()
        let service = try XCTUnwrap(config.service(named: "api"))
        let env = try XCTUnwrap(config.environments["prod"])

        // A promote, then a rollback of it, then a flag flipped by hand.
        let promoted = Heard()
        _ = try await CanaryEngine(config: config, service: service, env: env, dependencies: promoted.dependencies())
            .promote(PromoteOptions(version: "2")).succeeded()
        _ = try await RollbackEngine(config: config, service: service, env: env, dependencies: promoted.dependencies())
            .rollback(RollbackOptions(reason: "drill"))
        _ = try await ManualFlags(config: config, service: service, env: env, dependencies: promoted.dependencies())
            .set(name: "/app/MODEL", value: "big", reason: "drill")

        // A failed canary: reverted, its flag flipped.
        var failed = Heard()
        failed.world.samples = CanaryEngineTests.samples(bad: { $0 >= 4 })
        do {
            _ = try await CanaryEngine(config: config, service: service, env: env, dependencies: failed.dependencies())
                .promote(PromoteOptions(version: "2")).succeeded()
            XCTFail("the canary should have failed")
        } catch {}

        // Held by a signal, then resumed to the end.
        let resumed = Heard()
        try await promoteHeldBySignal(config, resumed)
        _ = try await CanaryEngine(config: config, service: service, env: env, dependencies: resumed.dependencies())
            .resume()?.succeeded()

        // Held by a signal, then aborted.
        let aborted = Heard()
        try await promoteHeldBySignal(config, aborted)
        _ = try await RollbackEngine(config: config, service: service, env: env, dependencies: aborted.dependencies())
            .rollback(RollbackOptions(abortOnly: true))

        var shown: Set<String> = []
        for heard in [promoted, failed, resumed, aborted] { shown.formUnion(try await assertToldOnce(heard)) }
        XCTAssertEqual(
            shown,
            [
                "start", "shift", "analysis", "finish", "rollback", "verified", "flag", "gate-failed", "revert",
                "resume", "abort",
            ])
        XCTAssertTrue(
            failed.world.store.actions.contains("flag.set result")
                && failed.world.store.actions.contains(
                    "traffic.revert result")
        )
    }

    /// A promote that SIGTERM holds two seconds in (`--on-cancel hold`), leaving the deployment open.
    func promoteHeldBySignal(_ config: ShipctlConfig, _ heard: Heard) async throws {
        let engine = CanaryEngine(
            config: config, service: try XCTUnwrap(config.service(named: "api")),
            env: try XCTUnwrap(config.environments["prod"]), dependencies: heard.dependencies(signalAt: .seconds(2)))
        do {
            _ = try await engine.promote(PromoteOptions(version: "2", holdOnCancel: true)).succeeded()
            XCTFail("the signal should have held the canary")
        } catch {
            XCTAssertEqual(error.exitCode, 143, error.description)
        }
    }

    /// A preview up and then down, terraform and the aws CLI answered from a script.
    func testAPreviewIsToldOnceThroughTheJournal() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("preview-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        let preview = """
                preview:
                  terraform: { dir: \(folder.path), vars: { name: "app-pr-{{pr}}" } }
                  secrets:
                    - { name: "app/pr-{{pr}}/token", token_budget: 1000 }
            """
        let config = try CanaryEngineTests.config(
            CanaryEngineTests.service("api", steps: "{ weight: 100 }", onFailure: preview))
        let plan = JSONValue.object([
            "resource_changes": [
                [
                    "address": "aws_lambda_function.app", "type": "aws_lambda_function",
                    "change": ["actions": ["create"]],
                ]
            ]
        ]).canonical
        let runner = RecordingProcessRunner([
            .init(["terraform", "plan"], stdout: "", status: 2),
            .init(["terraform", "show"], stdout: plan),
            .init(["terraform", "output"], stdout: #"{"url":{"value":"https://pr-7.example","sensitive":false}}"#),
            .init(["terraform", "workspace", "list"], stdout: "  default\n* pr-7\n"),
            .init(["terraform"], stdout: ""),
            .init(["describe-secret"]) { _ in
                .scripted(stdout: "", stderr: "ResourceNotFoundException", status: 254)
            },
            .init(["secretsmanager"], stdout: "{}"),
        ])
        let heard = Heard()
        var dependencies = heard.dependencies()
        dependencies.runner = runner
        let engine = try PreviewEngine(
            config: config, service: try XCTUnwrap(config.service(named: "api")),
            env: try XCTUnwrap(config.environments["prod"]), dependencies: dependencies)
        try await engine.up(pr: 7)
        let removed = try await engine.down(pr: 7)
        XCTAssertTrue(removed)
        let shown = try await assertToldOnce(heard)
        XCTAssertEqual(shown, ["terraform-plan", "preview", "preview-down"])
        XCTAssertEqual(
            heard.world.store.actions,
            [
                "terraform.apply intent", "terraform.apply result", "preview.secret intent", "preview.secret result",
                "preview.up info", "terraform.destroy intent", "terraform.destroy result", "preview.down info",
            ])
    }

    /// What the log holds is exactly the records the entries a reader got keep, in their order, and what
    /// the reporter printed exactly the events they show as: neither was written another way. Returns the
    /// kinds of event printed.
    func assertToldOnce(_ heard: Heard, file: StaticString = #filePath, line: UInt = #line) async throws -> Set<String>
    {
        let entries = heard.reader.entries
        XCTAssertEqual(
            heard.world.store.all.map { Self.comparable($0.event) },
            entries.flatMap(\.auditEvents).map(Self.comparable),
            file: file, line: line)
        let rendered = Transcript()
        let again = ReporterJournalReader(
            reporter: Reporter(
                mode: .json, redactor: Redactor(secrets: []), summaryPath: nil, out: { rendered.append($0) },
                err: { rendered.append($0) }))
        for entry in entries { again.read(entry) }
        XCTAssertEqual(Self.events(heard.printed.lines), Self.events(rendered.lines), file: file, line: line)
        let verified = try await heard.world.store.verify()
        XCTAssertTrue(verified.isValid, "the chain verifies", file: file, line: line)
        return Set(Self.events(heard.printed.lines).compactMap { JSONValue.parse($0)?["event"]?.stringValue })
    }

    /// A record as the log keeps it, without what the recorder adds (the target's identity).
    static func comparable(_ event: AuditEvent) -> String {
        var args = event.args
        args[StateScope.targetArgument] = nil
        return [
            event.deployment, event.step, event.action, event.phase.rawValue, event.outcome ?? "-",
            event.durationMs.map(String.init) ?? "-", JSONValue.object(args).canonical,
        ].joined(separator: " ")
    }

    /// The reporter's events, leaving out problems and plain lines, which are not moments of a deployment.
    static func events(_ lines: [String]) -> [String] {
        lines.filter { line in
            !["warning", "error", "message"].contains(JSONValue.parse(line)?["event"]?.stringValue ?? "message")
        }
    }
}
