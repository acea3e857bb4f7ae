import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// `shipctl init` writes a configuration that `config validate` accepts as
/// written, for both providers, asking nothing when the flags answer.
final class InitCommandTests: XCTestCase {
    private func run(_ arguments: [String], in folder: String) async -> ShipctlRun {
        await ShipctlRun.run(
            arguments, environment: ProcessInfo.processInfo.environment, workingDirectory: folder, timeout: .seconds(30)
        )
    }

    func testInitOutputPassesValidateForLambdaAndCloudRun() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "shipctl-init-\(UUID().uuidString.prefix(8))"
        ).path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }

        let lambda = await run(
            ["init", "--provider", "lambda", "--function", "micro-app-api", "--alias", "live"], in: folder)
        XCTAssertEqual(lambda.status, 0, lambda.output)
        let ignore = URL(fileURLWithPath: folder).appendingPathComponent(".gitignore").standardized.path
        XCTAssertEqual(
            lambda.stdout,
            "added .shipctl/ (this machine's locks and spool) to \(ignore)\n"
                + "wrote shipctl.yaml for lambda service api in prod; next: `shipctl config validate --config shipctl.yaml`\n"
        )
        // The spool and the locks never come from a repository; said once, not again.
        XCTAssertEqual(try String(contentsOfFile: ignore, encoding: .utf8), ".shipctl/\n")
        let written = try String(contentsOfFile: folder + "/shipctl.yaml", encoding: .utf8)
        XCTAssertTrue(written.contains("lambda: { function: micro-app-api, alias: live }"), written)
        // Gates on what every Lambda has: CloudWatch's per-version metrics, errors judged against stable.
        XCTAssertTrue(
            written.contains(
                "failures: { namespace: AWS/Lambda, metric: Errors, stat: Sum, dimensions: { FunctionName: micro-app-api, "
                    + "Resource: \"micro-app-api:live\", ExecutedVersion: \"{{version}}\" } }"), written)
        XCTAssertFalse(written.contains("\n      prometheus:"), "no Prometheus gate unless one is given")
        let validLambda = await run(["config", "validate"], in: folder)
        XCTAssertEqual(validLambda.status, 0, validLambda.output)
        // Like every command, under --json it says so in one JSON object per line.
        let quiet = await run(
            ["init", "--json", "--provider", "lambda", "--function", "f", "--config", "json.yaml"], in: folder)
        XCTAssertEqual(quiet.status, 0, quiet.output)
        let said = try XCTUnwrap(JSONValue.parse(quiet.stdout.trimmingCharacters(in: .newlines)), quiet.stdout)
        XCTAssertEqual(said["event"]?.stringValue, "message")
        XCTAssertTrue(said["message"]?.stringValue?.hasPrefix("wrote json.yaml for lambda service api") ?? false)

        let cloudRun = await run(
            [
                "init", "--provider", "cloudrun", "--cloudrun-service", "recs", "--project", "my-proj",
                "--service", "recs", "--env", "staging", "--config", "cloudrun.yaml",
            ], in: folder)
        XCTAssertEqual(cloudRun.status, 0, cloudRun.output)
        let validCloudRun = await run(["config", "validate", "--config", "cloudrun.yaml"], in: folder)
        XCTAssertEqual(validCloudRun.status, 0, validCloudRun.output)
        XCTAssertTrue(
            try String(contentsOfFile: folder + "/cloudrun.yaml", encoding: .utf8)
                .contains("cloudrun: { service: recs, region: us-central1, project: my-proj }"))
        let cloudRunYAML = try String(contentsOfFile: folder + "/cloudrun.yaml", encoding: .utf8)
        for expected in [
            "url: \"https://monitoring.googleapis.com/v1/projects/my-proj/location/global/prometheus\"",
            "auth: { bearer_command: [gcloud, auth, print-access-token] }",
            "total: sum(increase(run_googleapis_com:request_count{monitored_resource=\"cloud_run_revision\","
                + "service_name=\"recs\",revision_name=\"{{version}}\"}[{{window}}]))",
        ] {
            XCTAssertTrue(cloudRunYAML.contains(expected), "missing \(expected) in\n\(cloudRunYAML)")
        }
        let plan = await run(["plan", "--help"], in: folder)
        XCTAssertEqual(plan.status, 0)

        let again = await run(["init", "--provider", "lambda", "--function", "other"], in: folder)
        XCTAssertEqual(again.status, 2, again.output)
        XCTAssertTrue(again.stderr.contains("shipctl.yaml already exists"), again.stderr)
        XCTAssertEqual(
            try String(contentsOfFile: folder + "/shipctl.yaml", encoding: .utf8), written,
            "an existing file was overwritten")

        // Not on a terminal, a missing answer is a usage error, not a question nobody sees.
        let missing = await run(["init", "--provider", "lambda", "--config", "new.yaml"], in: folder)
        XCTAssertEqual(missing.status, 2, missing.output)
        XCTAssertTrue(missing.stderr.contains("--function is missing"), missing.stderr)
        let hostile = await run(
            ["init", "--provider", "lambda", "--function", "x\n  evil: true", "--config", "bad.yaml"], in: folder)
        XCTAssertEqual(hostile.status, 2, hostile.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/bad.yaml"))
    }
}
