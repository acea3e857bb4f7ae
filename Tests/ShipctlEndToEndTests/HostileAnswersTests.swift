import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// What the cloud CLIs answer is input like any other: every hostile answer of
/// the corpus makes every command exit 1 with a readable error, no trap, no raw
/// control character, no workflow command shipctl did not write, no secret.
final class HostileAnswersTests: XCTestCase {
    enum Mode: CaseIterable { case human, githubActions, json }

    /// What is wrong with one run's output in `mode`, if anything.
    static func problems(_ run: ShipctlRun, mode: Mode, expectedStatus: Int32 = 1) -> [String] {
        var found: [String] = []
        if run.status != expectedStatus { found.append("exit \(run.status), expected \(expectedStatus)") }
        if run.output.contains("Fatal error") || run.output.contains("Stack dump") { found.append("trapped") }
        if run.output.unicodeScalars.contains(where: { [0x1B, 0x07, 0x0D, 0x9B].contains($0.value) }) {
            found.append("printed a raw control character")
        }
        if run.output.contains(HostileAnswersCorpus.sensitiveValue) {
            found.append("printed the terraform sensitive value")
        }
        let lines = run.output.split(separator: "\n", omittingEmptySubsequences: false)
        switch mode {
        case .githubActions:
            let ours = ["::error::", "::warning::", "::group::", "::endgroup::"]
            for line in lines
            where line.trimmingCharacters(in: .whitespaces).hasPrefix("::")
                && !ours.contains(where: { line.hasPrefix($0) })
            {
                found.append("a workflow command from data: \(line.prefix(80))")
            }
            if lines.contains(where: { $0.contains("##[") }) { found.append("an old-style workflow command from data") }
            if expectedStatus == 1, !run.stderr.contains("::error::") { found.append("no ::error:: line") }
        case .json:
            for line in run.stdout.split(separator: "\n") where JSONValue.parse(String(line)) == nil {
                found.append("a stdout line that is not JSON: \(line.prefix(80))")
            }
            if expectedStatus == 1, !run.stdout.contains("\"event\":\"error\"") { found.append("no error event") }
        case .human:
            if expectedStatus == 1, !run.stderr.contains("error: ") { found.append("no error line") }
        }
        return found
    }

    static func environment(_ base: [String: String], mode: Mode) -> [String: String] {
        var environment = base
        if mode == .githubActions { environment["GITHUB_ACTIONS"] = "true" }
        return environment
    }

    static func arguments(_ command: [String], mode: Mode) -> [String] {
        mode == .json ? command + ["--json"] : command
    }

    func testEveryHostileAnswerIsARuntimeErrorInEveryOutputMode() async throws {
        let cases = HostileAnswersCorpus.cases
        let runs = cases.reduce(0) { $0 + $1.commands.count } * Mode.allCases.count
        XCTAssertGreaterThanOrEqual(runs, 200)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent(
            "hostile-answers-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: root) }

        let findings = await Lanes.collect(cases.count) { index -> [String] in
            let item = cases[index]
            var found: [String] = []
            for (commandIndex, command) in item.commands.enumerated() {
                for mode in Mode.allCases {
                    let dir = root.appendingPathComponent("case-\(index)-\(commandIndex)-\(mode)")
                    do {
                        try FileManager.default.createDirectory(
                            at: dir.appendingPathComponent("infra"), withIntermediateDirectories: true)
                        try HostileAnswersCorpus.config.write(
                            to: dir.appendingPathComponent("shipctl.yaml"), atomically: true, encoding: .utf8)
                        let fake = try FakeCLI(in: dir, answers: item.answers)
                        let run = await ShipctlRun.run(
                            Self.arguments(command, mode: mode),
                            environment: Self.environment(fake.environment, mode: mode),
                            workingDirectory: dir.path, timeout: .seconds(120))
                        found += Self.problems(run, mode: mode).map {
                            "\(item.name) / \(command.joined(separator: " ")) / \(mode): \($0)\n    \(run.output.prefix(300))"
                        }
                    } catch {
                        found.append("\(item.name): could not set up: \(error)")
                    }
                    try? FileManager.default.removeItem(at: dir)
                }
            }
            return found
        }
        XCTAssertTrue(
            findings.isEmpty,
            "\(findings.count) of \(runs) runs misbehaved:\n" + findings.prefix(30).joined(separator: "\n"))
    }
}
