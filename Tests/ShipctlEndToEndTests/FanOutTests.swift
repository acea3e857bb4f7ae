import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// Several services in one `promote`: four Lambda functions and one Cloud Run
/// service with `--all`, through the real aws and gcloud CLIs against moto and
/// the Cloud Run fake, Prometheus scraping the traffic simulator.
final class FanOutTests: WorldTestCase {
    static let functions = ["fan-a", "fan-b", "fan-c", "fan-bad"]

    /// Four Lambda services (fan-bad gets a third version, the bad one) and Cloud Run `web`; returns the web revisions.
    func makeServices(steps: String) async throws -> (config: String, revisions: [String]) {
        try await world.createFunctions(Array(Self.functions.dropLast()), versions: 2)
        try await world.createFunction("fan-bad", versions: 3)
        try await world.setBehaviour(version: "3", errorRate: 0.5)
        let revisions = try await world.createCloudRunService("fan-web", revisions: 2)
        let services =
            Self.functions.map { LambdaPromoteTests.lambdaService(function: $0, steps: steps, key: $0) }.joined(
                separator: "\n")
            + "\n" + CloudRunPromoteTests.service("fan-web", steps: steps)
        return (try world.writeConfig(SampleConfig.inWorld(services: services)), revisions)
    }

    func versions(_ revisions: [String]) -> [String] {
        [
            "--version", "fan-a=2", "--version", "fan-b=2", "--version", "fan-c=2", "--version", "fan-bad=3",
            "--version", "web=\(revisions[1])",
        ]
    }

    func testAllServicesArePromotedAndOnlyTheBadOneIsRevertedWithExitThree() async throws {
        let (config, revisions) = try await makeServices(
            steps: "          - { weight: 10, pause: 6s }\n          - { weight: 100 }")
        let run = await world.shipctl(
            ["promote", "--all", "--env", "prod", "--max-parallel", "5"] + versions(revisions), config: config,
            timeout: .seconds(300))

        XCTAssertEqual(run.status, 3, run.output)
        XCTAssertTrue(run.stderr.contains("1 service(s) did not succeed: fan-bad"), run.stderr)
        for function in ["fan-a", "fan-b", "fan-c"] {
            let alias = try await world.alias(function)
            XCTAssertEqual(alias.version, "2", function)
            XCTAssertTrue(alias.weights.isEmpty, "\(function): \(alias.weights)")
        }
        let bad = try await world.alias("fan-bad")
        XCTAssertEqual(bad.version, "1", "the bad canary went back to its stable version")
        XCTAssertTrue(bad.weights.isEmpty, "\(bad.weights)")
        let web = try await world.cloudRunTraffic("fan-web")
        XCTAssertEqual(web.percents, [revisions[1]: 100])
        for name in Self.functions + ["web"] {
            XCTAssertTrue(run.stdout.contains("[\(name)] "), "lines carry the service name \(name): \(run.stdout)")
        }
        let records = try world.auditRecords()
        let finishes = Dictionary(
            records.filter { $0["action"]?.stringValue == "deployment.finish" }
                .map { ($0["service"]?.stringValue ?? "", $0["outcome"]?.stringValue ?? "") }
        ) { $1 }
        XCTAssertEqual(
            finishes,
            [
                "fan-a": "succeeded", "fan-b": "succeeded", "fan-c": "succeeded", "fan-bad": "rolled-back",
                "web": "succeeded",
            ])
        let verify = await world.shipctl(["audit", "verify"], config: config)
        XCTAssertEqual(verify.status, 0, verify.output)

        // --json: every event says whose it is; several services need versions that name them.
        let json = await world.shipctl(
            ["promote", "--service", "fan-a", "--service", "fan-b", "--env", "prod", "--version", "1", "--json"],
            config: config)
        XCTAssertEqual(json.status, 2, json.output)
        XCTAssertTrue(json.stdout.contains("--version must name its service"), json.stdout)
    }

    func testSIGTERMRevertsEveryCanaryInFlightAndExits143() async throws {
        let (config, revisions) = try await makeServices(
            steps: "          - { weight: 10, pause: 120s }\n          - { weight: 100 }")
        try await world.setBehaviour(version: "3", errorRate: 0)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestWorld.shipctlBinary)
        process.arguments = ["promote", "--all", "--env", "prod", "--json", "--config", config] + versions(revisions)
        process.environment = world.environment
        let outputPath = world.directory.appendingPathComponent("fan-out.jsonl")
        FileManager.default.createFile(atPath: outputPath.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: outputPath)
        process.standardError = FileHandle.nullDevice
        try process.run()
        var shifted: Set<String> = []
        for _ in 0..<600 where shifted.count < 4 {
            try await Task.sleep(for: .milliseconds(100))
            shifted = Set(
                ((try? world.auditRecords()) ?? []).filter { $0["action"]?.stringValue == "analysis" }.compactMap {
                    $0["service"]?.stringValue
                })
        }
        XCTAssertEqual(shifted.count, 4, "four canaries (the default --max-parallel) are in their pause: \(shifted)")
        kill(process.processIdentifier, SIGTERM)
        let started = Date()
        while process.isRunning, Date().timeIntervalSince(started) < 30 { try await Task.sleep(for: .milliseconds(50)) }
        XCTAssertFalse(process.isRunning, "shipctl did not end after SIGTERM")
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        XCTAssertEqual(process.terminationStatus, 143)

        for function in Self.functions {
            let alias = try await world.alias(function)
            XCTAssertEqual(alias.version, "1", function)
            XCTAssertTrue(alias.weights.isEmpty, "\(function): \(alias.weights)")
        }
        let web = try await world.cloudRunTraffic("fan-web")
        XCTAssertEqual(web.percents, [revisions[0]: 100])
        let cancelled = Set(
            try world.auditRecords().filter {
                $0["action"]?.stringValue == "deployment.finish" && $0["outcome"]?.stringValue == "cancelled"
            }
            .compactMap { $0["service"]?.stringValue })
        XCTAssertEqual(cancelled, shifted, "each canary in flight recorded its cancellation")
        let events = try String(contentsOf: outputPath, encoding: .utf8).split(separator: "\n").compactMap {
            JSONValue.parse(String($0))
        }
        XCTAssertTrue(
            events.filter { $0["event"]?.stringValue == "analysis" }.allSatisfy { $0["service"] != nil },
            "JSON events carry their service")
        let verify = await world.shipctl(["audit", "verify"], config: config)
        XCTAssertEqual(verify.status, 0, verify.output)
    }
}
