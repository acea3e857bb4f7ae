import Foundation
import ShipctlTestSupport
import XCTest

@testable import ShipctlKit

/// Inputs that crashed shipctl, injected workflow commands or broke the exit
/// code contract, each through the built binary with fake CLIs on PATH (no
/// cloud needed to reproduce them).
final class HostileInputTests: XCTestCase {
    var directory: URL!

    override func setUp() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "hostile-input-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("infra"), withIntermediateDirectories: true)
        try Self.config.write(to: configPath, atomically: true, encoding: .utf8)
    }

    override func tearDown() async throws {
        try? FileManager.default.removeItem(at: directory)
    }

    var configPath: URL { directory.appendingPathComponent("shipctl.yaml") }

    static let config = SampleConfig.lambdaAPI(
        """
            strategy: { preset: AllAtOnce }
            preview:
              terraform: { dir: infra, vars: { function_name: "micro-app-api-pr-{{pr}}" } }
        """)

    func shipctl(_ arguments: [String], _ fake: FakeCLI, extra: [String: String] = [:], workingDirectory: String? = nil)
        async -> ShipctlRun
    {
        await ShipctlRun.run(
            arguments + ["--config", configPath.path], environment: fake.environment.merging(extra) { $1 },
            workingDirectory: workingDirectory ?? directory.path, timeout: .seconds(60))
    }

    func fake(_ answers: [String: FakeCLI.Answer]) throws -> FakeCLI {
        try FakeCLI(in: directory.appendingPathComponent("fake-\(UUID().uuidString.prefix(6))"), answers: answers)
    }

    func assertNoTrap(
        _ run: ShipctlRun, _ status: Int32, _ message: String = "", file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(run.status, status, "\(message)\n\(run.output.prefix(2000))", file: file, line: line)
        XCTAssertFalse(run.output.contains("Fatal error"), run.output, file: file, line: line)
    }

    /// Audit lines that verify, built field by field so that a test can put any value in them.
    func writeLog(_ records: [[String: JSONValue]]) throws {
        let state = directory.appendingPathComponent(".shipctl")
        try FileManager.default.createDirectory(
            at: state, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var prev = AuditRecord.genesis
        var lines: [String] = []
        for (index, fields) in records.enumerated() {
            var record: [String: JSONValue] = [
                "seq": .int(Int64(index + 1)), "ts": "2026-11-23T06:20:00.000Z", "deployment": "api-preview",
                "service": "api",
                "env": "pr-1", "actor": "mallory", "run": .null, "step": "preview", "phase": "info",
                "action": .string(AuditAction.previewUp), "args": [:], "outcome": "ok", "duration_ms": .null,
            ]
            record.merge(fields) { $1 }
            record["prev"] = .string(prev)
            let body = JSONValue.object(record).canonical
            let hash = AuditRecord.chainHash(prev: prev, body: body)
            lines.append(String(body.dropLast()) + ",\"hash\":\"\(hash)\"}")
            prev = hash
        }
        let path = state.appendingPathComponent("audit.jsonl").path
        FileManager.default.createFile(
            atPath: path, contents: Data((lines.joined(separator: "\n") + "\n").utf8),
            attributes: [.posixPermissions: 0o600])
    }

    func testAnAbsurdLambdaWeightIsAProviderErrorQuotingTheAnswer() async throws {
        let answer = "{\"FunctionVersion\":\"1\",\"RoutingConfig\":{\"AdditionalVersionWeights\":{\"2\":1e300}}}"
        let run = await shipctl(
            ["status", "--service", "api", "--env", "prod"], try fake(["aws": .init(stdout: answer)]))
        assertNoTrap(run, 1)
        XCTAssertTrue(run.stdout.contains("a routing weight is a fraction from 0.0 to 1.0): \(answer)"), run.output)
        XCTAssertTrue(run.stderr.hasPrefix("error: the live traffic split of api/prod could not be read"), run.stderr)
    }

    /// A flag file of 64 MiB (a path pointed at the wrong file, a planted one) is refused at the cap every
    /// answer and every output has, not parsed whole: parsed, a 1 GiB file took 3.4 GiB.
    func testAFlagFileBeyondTheCapIsRefusedNotParsedWhole() async throws {
        let flags = directory.appendingPathComponent("flags.json")
        var document = Data("{\"flags\": {\"model\": {\"defaultVariant\": \"big\"}}, \"pad\": \"".utf8)
        document.append(Data(repeating: UInt8(ascii: "a"), count: 64 << 20))
        document.append(Data("\"}".utf8))
        try document.write(to: flags)
        try SampleConfig.lambdaAPI(
            """
                strategy: { preset: AllAtOnce }
                on_failure:
                  flags:
                    - { file: flags.json, flag: model, variant: small }
            """
        ).write(to: configPath, atomically: true, encoding: .utf8)
        let run = await shipctl(["flags", "list", "--service", "api", "--env", "prod"], try fake([:]))
        assertNoTrap(run, 1)
        XCTAssertTrue(run.output.contains("holds more than 16 MiB; shipctl reads no more than that"), run.output)
    }

    /// A `.shipctl/` tracked by git lets whoever can push plant lines in the spool: doctor names it and the fix.
    func testDoctorFlagsASpoolFolderTrackedByGit() async throws {
        let spool = directory.appendingPathComponent(".shipctl")
        try FileManager.default.createDirectory(at: spool, withIntermediateDirectories: true)
        try "{}\n".write(to: spool.appendingPathComponent("spool.jsonl"), atomically: true, encoding: .utf8)
        let git = SystemProcessRunner()
        for arguments in [["init", "-q"], ["add", ".shipctl/spool.jsonl"]] {
            let result = await git.run(
                ProcessRequest("git", arguments, workingDirectory: directory.path, retry: .never, mutating: true))
            XCTAssertTrue(result.succeeded, result.stderr)
        }
        let fake = try fake([:])
        let path = "\(fake.environment["PATH"] ?? ""):/usr/bin:/bin"
        let run = await shipctl(["doctor", "--service", "api", "--env", "prod"], fake, extra: ["PATH": path])
        XCTAssertTrue(run.stdout.contains(".shipctl/ is tracked by git"), run.output)
        XCTAssertTrue(run.stdout.contains("git rm -r --cached .shipctl"), run.output)
    }

    /// A CLI that prints pages of warnings before its error: the quote keeps the start and the error line.
    func testALongCLIMessageKeepsItsLastLineWhenThatNamesTheError() async throws {
        let warnings = (1...30).map { "WARNING: option number \($0) in the configuration file is deprecated" }
        let error = "An error occurred (AccessDeniedException) when calling the GetAlias operation: not authorized"
        let run = await shipctl(
            ["status", "--service", "api", "--env", "prod"],
            try fake(["aws": .init(stderr: (warnings + [error]).joined(separator: "\n"), status: 255)]))
        assertNoTrap(run, 1)
        let live = run.stdout.split(separator: "\n").first { $0.hasPrefix("  live traffic:     unknown (") } ?? ""
        XCTAssertTrue(live.contains("exited with status 255: WARNING: option number "), run.stdout)
        XCTAssertTrue(live.contains(" characters left out) … \(error)"), run.stdout)
    }

    func testAPullRequestNumberOutOfRangeIsRefusedAtTheDoor() async throws {
        let fake = try fake([
            "terraform": .init(stderr: "terraform must not run", status: 1),
            "aws": .init(stderr: "aws must not run", status: 1),
        ])
        let up = await shipctl(["preview", "up", "--pr", "9223372036854775807"], fake)
        assertNoTrap(up, 2)
        XCTAssertTrue(up.stderr.contains("--pr 9223372036854775807 is not a pull request number"), up.stderr)
        XCTAssertTrue(fake.calls().isEmpty, "nothing ran: \(fake.calls())")
        assertNoTrap(await shipctl(["preview", "list"], fake), 0, "preview list")
        // The cloud refused to be asked: gc must not pass for one that found nothing to collect.
        let gc = await shipctl(["preview", "gc"], fake)
        assertNoTrap(gc, 1, "preview gc")
        XCTAssertTrue(
            gc.stderr.contains("error: could not look for previews in the terraform workspaces of api"), gc.stderr)
    }

    func testPreviewRecordsWithAbsurdNumbersOrDatesAreSkippedNotCrashedOn() async throws {
        let expires: JSONValue = "2026-11-26T06:20:00.000Z"
        try writeLog([
            ["args": ["pr": "nan", "expires_at": expires]],
            ["args": ["pr": 1e300, "expires_at": expires]],
            ["args": ["pr": 7, "expires_at": expires], "ts": "2147483647-01-01T00:00:00.000Z"],
            ["args": ["pr": 8, "expires_at": "2147483647-01-01T00:00:00.000Z"]],
            ["args": ["pr": 9, "expires_at": expires]],
        ])
        let fake = try fake(["terraform": .init(), "aws": .init(stdout: "{}")])
        assertNoTrap(await shipctl(["audit", "verify"], fake), 0, "the forged log is a valid chain")
        let list = await shipctl(["preview", "list", "--json"], fake)
        assertNoTrap(list, 0)
        let prs = list.stdout.split(separator: "\n").compactMap { JSONValue.parse(String($0))?["pr"]?.stringValue }
        XCTAssertEqual(prs, ["9"], list.stdout)
        assertNoTrap(await shipctl(["preview", "list"], fake), 0)
        assertNoTrap(await shipctl(["status"], fake), 1, "status reads the same log; the fake alias answer is unusable")
    }

    func testAPullRequestEventWithAnAbsurdNumberIsAUsageError() async throws {
        let event = directory.appendingPathComponent("event.json")
        try "{\"action\":\"opened\",\"number\":1e300,\"pull_request\":{\"labels\":[]}}".write(
            to: event, atomically: true, encoding: .utf8)
        let run = await shipctl(
            ["preview", "sync"], try fake(["terraform": .init(status: 1)]),
            extra: ["GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": event.path])
        assertNoTrap(run, 2)
        XCTAssertTrue(
            run.stderr.contains("names pull request `1e+300`, which is not a pull request number"), run.stderr)
    }

    /// Half a megabyte of anchors that would expand to ~10^100 nodes: refused from the
    /// text, before the YAML parser builds anything (so in a blink, not minutes and gigabytes).
    func testAnAliasBombIsAConfigurationErrorNamingItsLine() async throws {
        var lines = [
            "version: 1", "environments:", "  prod: { region: us-east-1 }",
            "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]",
        ]
        for level in 1...30 {
            lines.append(
                "a\(level): &a\(level) [\(Array(repeating: "*a\(level - 1)", count: 3000).joined(separator: ", "))]")
        }
        lines.append("services: { api: { provider: lambda, lambda: { function: f }, smoke: *a30 } }")
        try lines.joined(separator: "\n").write(to: configPath, atomically: true, encoding: .utf8)
        let run = await shipctl(["config", "validate"], try fake([:]))
        assertNoTrap(run, 2)
        XCTAssertTrue(run.stderr.hasPrefix("error: \(configPath.path):5:"), run.stderr)
        XCTAssertTrue(run.stderr.contains("more than 200 YAML aliases"), run.stderr)
    }

    func testUsageErrorsExitTwoAndAreJSONUnderJSON() async throws {
        let fake = try fake([:])
        let cases: [[String]] = [
            ["promote"], ["promote", "--service", "api", "--env", "prod", "--bogus"], ["preview", "up", "--pr", "abc"],
            ["deploy"], ["rollback", "--service"],
        ]
        for arguments in cases {
            let plain = await ShipctlRun.run(arguments, environment: fake.environment, workingDirectory: directory.path)
            assertNoTrap(plain, 2, arguments.joined(separator: " "))
            XCTAssertTrue(plain.stderr.hasPrefix("error: "), plain.stderr)
            XCTAssertTrue(plain.stderr.contains("Usage: shipctl"), plain.stderr)
            let json = await ShipctlRun.run(
                arguments + ["--json"], environment: fake.environment, workingDirectory: directory.path)
            assertNoTrap(json, 2, arguments.joined(separator: " ") + " --json")
            let lines = json.stdout.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, json.stdout)
            XCTAssertEqual(
                lines.first.flatMap { JSONValue.parse(String($0))?["event"]?.stringValue }, "error", json.stdout)
        }
    }

    func testASmokeProgramIsFoundNextToTheConfigWhereverShipctlRuns() async throws {
        try (Self.config + "\n    smoke:\n      - { name: local, run: [\"./smoke.sh\", \"{{canary}}\"] }").write(
            to: configPath, atomically: true, encoding: .utf8)
        let script = directory.appendingPathComponent("smoke.sh")
        try "#!/bin/sh\necho \"smoked $1\" > smoked.txt\n".write(to: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        let fake = try fake([
            "aws lambda get-alias": .init(stdout: "{\"FunctionVersion\":\"1\",\"RevisionId\":\"r1\"}"),
            "aws lambda get-function-configuration": .init(stdout: "{\"Version\":\"2\"}"),
            "aws lambda update-alias": .init(stdout: "{\"FunctionVersion\":\"2\",\"RevisionId\":\"r2\"}"),
        ])
        let elsewhere = FileManager.default.temporaryDirectory.path
        let run = await shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], fake, workingDirectory: elsewhere)
        assertNoTrap(run, 0)
        XCTAssertEqual(
            try String(contentsOf: directory.appendingPathComponent("smoked.txt"), encoding: .utf8), "smoked 2\n")
    }

    /// Hostile text in every field that comes from outside (the alias description,
    /// a Lambda error body, a smoke program's output, the audit log they end up in),
    /// under GitHub Actions and on a terminal: nothing becomes a workflow command
    /// and no raw control character is printed.
    func testHostileTextFromOutsideNeverBecomesAWorkflowCommandOrAnEscapeSequence() async throws {
        let injected = "x\n::error::pwned\n  ::add-mask::zzz\n##[error]old\r\u{1B}[2J\u{1B}]0;title\u{07}\u{9B}31m"
        try
            (Self.config + """

                    smoke:
                      - { name: invoke, invoke: { payload: '{"ping": true}' } }
                      - { name: local, run: ["sh", "-c", "printf '%s' \\"$HOSTILE\\" >&2; exit 1"] }
                """).write(to: configPath, atomically: true, encoding: .utf8)
        let description = JSONValue.string("shipctl previous=1 \(injected)").canonical
        let fake = try fake([
            "aws lambda get-alias": .init(
                stdout: "{\"FunctionVersion\":\"1\",\"RevisionId\":\"r1\",\"Description\":\(description)}"),
            "aws lambda get-function-configuration": .init(stdout: "{\"Version\":\"2\"}"),
            "aws lambda invoke": .init(
                stdout: "{\"StatusCode\":200,\"FunctionError\":\"Unhandled\"}", outfile: "{\"e\":\"\(injected)\"}"),
            "aws lambda update-alias": .init(stdout: "{\"FunctionVersion\":\"1\",\"RevisionId\":\"r2\"}"),
        ])
        for mode in [HostileAnswersTests.Mode.githubActions, .human] {
            var extra = ["HOSTILE": injected]
            if mode == .githubActions { extra["GITHUB_ACTIONS"] = "true" }
            let promote = await shipctl(
                ["promote", "--service", "api", "--env", "prod", "--version", "2"], fake, extra: extra)
            XCTAssertEqual(
                HostileAnswersTests.problems(promote, mode: mode, expectedStatus: 3), [],
                "promote, \(mode):\n\(promote.output)")
            XCTAssertTrue(promote.output.contains("pwned"), "the hostile text is shown, escaped: \(promote.output)")
            for command in [["status", "--service", "api", "--env", "prod"], ["audit", "show"]] {
                let run = await shipctl(command, fake, extra: extra)
                XCTAssertEqual(
                    HostileAnswersTests.problems(run, mode: mode, expectedStatus: 0), [],
                    "\(command), \(mode):\n\(run.output)")
            }
        }
    }
}
