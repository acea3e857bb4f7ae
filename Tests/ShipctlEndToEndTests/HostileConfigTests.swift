import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// Every config of a generated corpus of malformed and hostile files makes
/// `shipctl promote` exit 2 with a message naming file:line:column; none crashes, none leaks the secret it refers to, and none
/// runs a program: `aws`, `terraform` and `gcloud` on PATH only write down
/// that they were called, and hostile names try to create a marker file.
final class HostileConfigTests: XCTestCase {

    func makeTrapBin(in directory: URL, log: URL) throws -> URL {
        let bin = directory.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        for program in ["aws", "terraform", "gcloud", "curl"] {
            let path = bin.appendingPathComponent(program)
            try "#!/bin/sh\necho \"\(program) $*\" >> '\(log.path)'\nexit 1\n".write(
                to: path, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path.path)
        }
        return bin
    }

    func testTheCorpusTemplateIsValid() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "corpus-valid-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try HostileConfigCorpus.valid.write(
            to: dir.appendingPathComponent("shipctl.yaml"), atomically: true, encoding: .utf8)
        let run = await ShipctlRun.run(
            ["config", "validate"], environment: ProcessInfo.processInfo.environment, workingDirectory: dir.path)
        XCTAssertEqual(run.status, 0, "the corpus mutates a valid config; it must start valid: \(run.output)")
    }

    func testAThousandHostileConfigsAllExitTwoWithoutCrashingOrRunningAnything() async throws {
        let corpus = HostileConfigCorpus.generate(minimum: 1000)
        XCTAssertGreaterThanOrEqual(corpus.count, 1000)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent(
            "corpus-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let log = root.appendingPathComponent("called.log")
        let bin = try makeTrapBin(in: root, log: log)
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = bin.path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment[HostileConfigCorpus.secretVariable] = HostileConfigCorpus.secretValue
        environment.removeValue(forKey: "GITHUB_ACTIONS")
        let env = environment

        struct Finding: Sendable {
            var name: String
            var problem: String
        }
        let findings = await Lanes.collect(corpus.count) { index -> [Finding] in
            var found: [Finding] = []
            let item = corpus[index]
            let dir = root.appendingPathComponent("case-\(index)")
            do {
                // The terraform dir exists, so a config that wrongly passes reaches the trap `terraform`.
                try FileManager.default.createDirectory(
                    at: dir.appendingPathComponent("infra/envs/prod"), withIntermediateDirectories: true)
                try Data(item.bytes).write(to: dir.appendingPathComponent("shipctl.yaml"))
            } catch {
                return [Finding(name: item.name, problem: "could not write the case: \(error)")]
            }
            let run = await ShipctlRun.run(
                ["promote", "--service", "api", "--env", "prod"], environment: env,
                workingDirectory: dir.path, timeout: .seconds(60))
            if run.status != 2 {
                found.append(Finding(name: item.name, problem: "exit \(run.status): \(run.output.prefix(600))"))
            } else if run.stderr.range(of: #"^error: shipctl\.yaml:[0-9]+:[0-9]+: "#, options: .regularExpression)
                == nil || !run.stdout.isEmpty
            {
                found.append(
                    Finding(
                        name: item.name,
                        problem:
                            "not refused as a configuration error naming file:line:column: \(run.output.prefix(300))"))
            }
            if run.output.contains("Fatal error") || run.output.contains("crashed") {
                found.append(Finding(name: item.name, problem: "crashed: \(run.output.prefix(300))"))
            }
            if run.output.contains(HostileConfigCorpus.secretValue) {
                found.append(Finding(name: item.name, problem: "printed the secret"))
            }
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent(HostileConfigCorpus.markerFile).path) {
                found.append(Finding(name: item.name, problem: "a hostile name ran a command"))
            }
            try? FileManager.default.removeItem(at: dir)
            return found
        }

        XCTAssertTrue(
            findings.isEmpty,
            "\(findings.count) of \(corpus.count) configs misbehaved:\n"
                + findings.prefix(40).map { "- \($0.name): \($0.problem)" }.joined(separator: "\n"))
        let called = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        XCTAssertEqual(called, "", "no external program may run for an invalid config")
    }
}
