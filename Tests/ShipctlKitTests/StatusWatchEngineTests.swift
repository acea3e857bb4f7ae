import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// `status --watch`'s endings in process (the followed promote end to end is `StatusWatchTests`): a
/// deployment nobody runs is interrupted at once (exit 5), and one that ends failed exits 1 with its reason.
final class StatusWatchEngineTests: XCTestCase {
    func start(_ deployment: String) -> AuditEvent {
        AuditEvent(
            deployment: deployment, service: "api", env: "prod", step: "start", phase: .info,
            action: AuditAction.deploymentStart, args: ["stable": "1", "canary": "2"])
    }

    func configuration() throws -> ShipctlConfig {
        try CanaryEngineTests.config(CanaryEngineTests.service("api", steps: "{ weight: 100 }"))
    }

    func follow(_ world: CanaryEngineTests.World, output: Transcript) async throws -> ShipctlError? {
        let config = try configuration()
        let service = try XCTUnwrap(config.service(named: "api"))
        let env = try XCTUnwrap(config.environments["prod"])
        let reporter = Reporter(
            mode: .human, redactor: Redactor(secrets: []), summaryPath: nil, out: { output.append($0) },
            err: { output.append($0) })
        let dependencies = world.dependencies(reporter: reporter)
        let report = try await StatusReport.gather(
            config: config, service: service, env: env, dependencies: dependencies)
        do {
            try await StatusWatch(config: config, dependencies: dependencies, reporter: reporter, interval: .seconds(2))
                .follow([StatusWatch.Shown(service: service, env: env, report: report)])
            return nil
        } catch {
            return error
        }
    }

    func testADeploymentNobodyRunsIsInterruptedAtOnce() async throws {
        let world = CanaryEngineTests.World(services: ["api"])
        try await world.store.append(start("d1"))
        let output = Transcript()
        let error = try await follow(world, output: output)
        XCTAssertEqual(error?.exitCode, 5)
        XCTAssertEqual(
            error?.description,
            "api/prod: deployment d1 is interrupted; continue it with `shipctl resume --service api --env prod` "
                + "or revert it with `shipctl abort --service api --env prod`")
        XCTAssertEqual(output.lines, ["api/prod: deployment d1 is interrupted: nobody is running it now"])
    }

    func testADeploymentThatEndsFailedExitsOneWithItsReason() async throws {
        var world = CanaryEngineTests.World(services: ["api"])
        let store = world.store
        let config = try configuration()
        let scope = ServiceParts.scope(
            for: try XCTUnwrap(config.service(named: "api")), env: try XCTUnwrap(config.environments["prod"]),
            config: config, dependencies: world.dependencies())
        try await store.append(start("d2"))
        let holder = LockHolder.thisProcess(actor: Actor(name: "ci", run: nil), deployment: "d2")
        _ = try await store.acquireLock(scope, holder: holder)
        let sleeps = Transcript()
        world.onSleep = { _ in
            // The deployment ends on the other runner during the watch's first wait.
            guard sleeps.lines.isEmpty else { return }
            sleeps.append("first")
            _ = try? await store.append(
                AuditEvent(
                    deployment: "d2", service: "api", env: "prod", step: "terraform", phase: .result,
                    action: AuditAction.deploymentFinish, args: ["version": "1", "reason": "terraform apply failed"],
                    outcome: DeploymentOutcome.failed.rawValue))
            await store.releaseLock(scope, holder: holder)
        }
        let output = Transcript()
        let error = try await follow(world, output: output)
        XCTAssertEqual(error?.exitCode, 1)
        XCTAssertEqual(
            output.lines.first,
            "watching api/prod d2 every 2s until it ends (Ctrl-C stops watching, not the deployment)")
        XCTAssertTrue(
            output.lines.contains { $0.contains(" api/prod d2 [terraform] deployment.finish result → failed") })
        XCTAssertEqual(
            output.lines.last,
            "api/prod: deployment d2 ended failed: terraform apply failed; live traffic: 100% on 1")
    }
}
