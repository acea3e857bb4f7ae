import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// The release tarball that `scripts/release` makes (scripts/test makes it
/// before the tests run) works where nothing of Swift is installed: unpacked
/// into an empty folder and run with a minimal environment, it prints its
/// version and runs the demo's promotes against the test world. And
/// `scripts/install`, behind the composite action, refuses a tarball whose
/// SHA-256 is not the published one.
final class ReleaseTarballTests: XCTestCase {
    private let runner = SystemProcessRunner()

    private func tarball() throws -> URL {
        let dist = TestWorld.repositoryRoot.appendingPathComponent(".build-release/dist")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dist.path)) ?? []
        guard let name = names.filter({ $0.hasPrefix("shipctl-") && $0.hasSuffix(".tar.gz") }).sorted().last else {
            throw TestWorldError(
                "no release tarball in \(dist.path): run `bash scripts/release` first (scripts/test does)")
        }
        return dist.appendingPathComponent(name)
    }

    /// Runs `command` under `env -i` with PATH limited to `folder` and the system's bin folders, plus `extra`.
    private func minimal(
        _ folder: String, _ command: [String], extra: [String: String] = [:], in directory: String? = nil
    ) async -> ProcessResult {
        let assignments =
            ["PATH=\(folder):/usr/bin:/bin"] + extra.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return await runner.run(
            ProcessRequest(
                "/usr/bin/env", ["-i"] + assignments + command, workingDirectory: directory,
                timeout: .seconds(180), retry: .never, mutating: true))
    }

    func testTheTarballRunsWithAMinimalEnvironmentAndCompletesTheDemoPromote() async throws {
        let tarball = try tarball()
        let version = tarball.lastPathComponent.components(separatedBy: "-")[1]
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "shipctl-release-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }

        let checked = await runner.run(
            ProcessRequest(
                "sha256sum", ["-c", tarball.lastPathComponent + ".sha256"],
                workingDirectory: tarball.deletingLastPathComponent().path, retry: .never, mutating: false))
        XCTAssertEqual(checked.status, 0, checked.stdout + checked.stderr)
        let unpacked = await runner.run(
            ProcessRequest(
                "tar", ["-xzf", tarball.path, "-C", folder.path, "--strip-components=1"], retry: .never, mutating: true)
        )
        XCTAssertEqual(unpacked.status, 0, unpacked.stderr)
        let binary = folder.appendingPathComponent("shipctl").path

        let libraries = await runner.run(ProcessRequest("ldd", [binary], retry: .never, mutating: false))
        XCTAssertFalse(
            libraries.stdout.contains("libswift") || libraries.stdout.contains("libFoundation"),
            "the Swift runtime is not linked statically:\n\(libraries.stdout)")
        XCTAssertFalse(libraries.stdout.contains("not found"), libraries.stdout)

        let printed = await minimal(folder.path, ["shipctl", "--version"])
        XCTAssertEqual(printed.status, 0, printed.stderr)
        // The release the tarball is named after, then the commit it was built from.
        XCTAssertTrue(printed.stdout.hasPrefix(version + " ("), printed.stdout)

        // The demo: a good version through every step, then a bad one reverted by itself with the model flag flipped.
        let world = try await TestWorld()
        addTeardownBlock { await world.shutdown() }
        try await world.createFunction("micro-app-api", versions: 3)
        try await world.setBehaviour(version: "3", errorRate: 0.3)
        _ = try await world.aws([
            "ssm", "put-parameter", "--name", "/micro-app/prod/MODEL_PROVIDER", "--value", "big-llm", "--type",
            "String", "--overwrite",
        ])
        let demo = TestWorld.repositoryRoot.appendingPathComponent("examples/demo").path
        let peers = [
            "AWS_ENDPOINT_URL": world.awsEndpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1", "PROMETHEUS_URL": world.prometheusURL,
            "SHIPCTL_STATE_DIR": world.directory.appendingPathComponent("state").path,
        ]

        let good = await minimal(
            folder.path, ["shipctl", "promote", "--service", "api", "--env", "prod", "--version", "2"], extra: peers,
            in: demo)
        XCTAssertEqual(good.status, 0, good.stdout + good.stderr)
        var alias = try await world.alias("micro-app-api")
        XCTAssertEqual(alias.version, "2")
        let bad = await minimal(
            folder.path, ["shipctl", "promote", "--service", "api", "--env", "prod", "--version", "3"], extra: peers,
            in: demo)
        XCTAssertEqual(bad.status, 3, bad.stdout + bad.stderr)
        alias = try await world.alias("micro-app-api")
        XCTAssertEqual(alias.version, "2")
        XCTAssertTrue(alias.weights.isEmpty, "routing left behind: \(alias.weights)")
        let model = try await world.ssmValue("/micro-app/prod/MODEL_PROVIDER")
        XCTAssertEqual(model, "small-llm")
        let verify = await minimal(folder.path, ["shipctl", "audit", "verify"], extra: peers, in: demo)
        XCTAssertEqual(verify.status, 0, verify.stdout + verify.stderr)
    }

    func testInstallChecksTheSHA256BeforePuttingShipctlInPlace() async throws {
        let tarball = try tarball()
        let version = tarball.lastPathComponent.components(separatedBy: "-")[1]
        let published = try String(contentsOf: URL(fileURLWithPath: tarball.path + ".sha256"), encoding: .utf8).prefix(
            64)
        let into = FileManager.default.temporaryDirectory.appendingPathComponent(
            "shipctl-install-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: into) }
        let script = TestWorld.repositoryRoot.appendingPathComponent("scripts/install").path
        let base = "file://" + tarball.deletingLastPathComponent().path

        let wrong = await runner.run(
            ProcessRequest(
                "bash",
                [
                    script, "--version", version, "--sha256", String(repeating: "0", count: 64),
                    "--into", into.path, "--base-url", base,
                ], retry: .never, mutating: true))
        XCTAssertEqual(wrong.status, 1, wrong.stderr)
        XCTAssertTrue(wrong.stderr.contains("does not have SHA-256"), wrong.stderr)
        XCTAssertFalse(
            FileManager.default.fileExists(atPath: into.appendingPathComponent("shipctl").path),
            "installed a tarball that did not match")

        let right = await runner.run(
            ProcessRequest(
                "bash",
                [
                    script, "--version", version, "--sha256", String(published),
                    "--into", into.path, "--base-url", base,
                ], retry: .never, mutating: true))
        XCTAssertEqual(right.status, 0, right.stderr)
        XCTAssertEqual(right.stdout, into.path + "\n")
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: into.appendingPathComponent("shipctl").path))
    }
}
