import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// What users and CI scripts read about shipctl matches the binary: every
/// `shipctl …` command quoted in a hint, the README, the runbooks or the docs
/// parses against the real command tree, and the exit codes the README and
/// `--help` promise are the ones errors map to.
final class CommandContractTests: XCTestCase {
    static let root = TestWorld.repositoryRoot

    /// Quoted `shipctl …` commands in a file: inline code in Markdown and Swift
    /// string literals, lines of shell blocks in Markdown, `run:` lines in workflow YAML.
    static func quotedCommands(in file: URL) -> [String] {
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return [] }
        if file.pathExtension == "yml" {
            return text.split(separator: "\n").flatMap { line -> [String] in
                guard let start = line.range(of: "run: shipctl ") else { return [] }
                return line[start.upperBound...].components(separatedBy: "&&").map {
                    "shipctl " + $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "shipctl ", with: "")
                }
            }
        }
        var found: [String] = []
        if file.pathExtension == "md" {
            var shell = false
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.hasPrefix("```") {
                    shell = ["```sh", "```bash", "```shell", "```console"].contains(trimmed)
                    continue
                }
                guard shell else { continue }
                let command = trimmed.hasPrefix("$ ") ? String(trimmed.dropFirst(2)) : trimmed
                // `shipctl a && shipctl b` is two commands; text after `#` is a comment.
                let code = command.components(separatedBy: " #").first ?? command
                found += code.components(separatedBy: "&&").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                    $0.hasPrefix("shipctl ")
                }
            }
        }
        var rest = Substring(text)
        while let open = rest.range(of: "`shipctl ") {
            guard let close = rest[open.upperBound...].firstIndex(of: "`") else { break }
            found.append("shipctl " + rest[open.upperBound..<close])
            rest = rest[rest.index(after: close)...]
        }
        return found
    }

    /// The argument vector a quoted command stands for: synopsis brackets and
    /// alternatives resolved to one choice, placeholders given example values.
    static func arguments(of command: String) -> [String]? {
        var text = String(command.dropFirst("shipctl ".count))
        if let pipe = text.range(of: " | ") { text = String(text[..<pipe.lowerBound]) }  // `shipctl audit show | tail`
        text = text.replacingOccurrences(of: "\\|", with: "|")
        // Swift interpolation, then shell defaults such as ${TO:+--to "$TO"}.
        text = text.replacingOccurrences(of: #"\\\([^)]*\)"#, with: "x", options: .regularExpression)
        text = text.replacingOccurrences(of: #"\$\{[^}]*\}"#, with: "", options: .regularExpression)
        text = text.replacingOccurrences(of: #"\$[A-Z_]+"#, with: "x", options: .regularExpression)
        text = text.replacingOccurrences(of: "[", with: "").replacingOccurrences(of: "]", with: "")
            .replacingOccurrences(of: "…", with: "")
        var words: [String] = []
        var current = ""
        var quote: Character?
        for character in text {
            if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == " " {
                if !current.isEmpty {
                    words.append(current)
                    current = ""
                }
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { words.append(current) }
        guard let first = words.first, !first.contains("=") else { return nil }  // the witness format, not a command
        return words.enumerated().compactMap { index, word in
            var word = word
            if let bar = word.firstIndex(of: "|") { word = String(word[..<bar]) }
            guard !word.isEmpty else { return nil }
            let option = index > 0 ? words[index - 1] : ""
            if word == "N" || (option == "--pr" && word == "x") { return option == "--pr" ? "42" : "4" }
            if ["--ttl", "--max-age"].contains(option), word == "D" { return "24h" }
            return word
        }
    }

    /// nil when `arguments` parse; else ArgumentParser's complaint. Prose names
    /// `shipctl promote` without its required options: those are filled in with
    /// example values and the rest must still parse.
    static func parseProblem(_ arguments: [String]) async -> String? {
        var environment = ProcessInfo.processInfo.environment
        for key in ["GITHUB_ACTIONS", "GITHUB_EVENT_NAME", "GITHUB_EVENT_PATH"] { environment.removeValue(forKey: key) }
        var arguments = arguments
        for _ in 0..<6 {
            // `shipctl --version` stands alone (it is answered before any parsing).
            let config =
                arguments.filter { $0 != "--json" } == ["--version"] ? [] : ["--config", "/nonexistent/shipctl.yaml"]
            let run = await ShipctlRun.run(arguments + config, environment: environment, timeout: .seconds(30))
            guard run.output.contains("Usage: shipctl") else { return nil }
            guard
                let missing = run.output.range(
                    of: #"Missing expected argument '--[a-z-]+"#, options: .regularExpression)
            else {
                return run.stderr.split(separator: "\n").first.map(String.init) ?? run.output
            }
            let option = run.output[missing].components(separatedBy: "'").last ?? ""
            arguments += [option, option == "--pr" ? "42" : "x"]
        }
        return "still missing arguments after filling in six: \(arguments)"
    }

    func testEveryQuotedCommandParsesAgainstTheCommandTree() async throws {
        var files = [Self.root.appendingPathComponent("README.md")]
        for folder in ["runbooks", "docs", "Sources"] {
            let base = Self.root.appendingPathComponent(folder)
            let paths = FileManager.default.enumerator(atPath: base.path)?.compactMap { $0 as? String } ?? []
            files += paths.filter { path in [".md", ".yml", ".swift"].contains { path.hasSuffix($0) } }.map {
                base.appendingPathComponent($0)
            }
        }
        var checked = 0
        var problems: [String] = []
        for file in files {
            for command in Self.quotedCommands(in: file) {
                guard let arguments = Self.arguments(of: command) else { continue }
                checked += 1
                if let problem = await Self.parseProblem(arguments) {
                    problems.append("\(file.lastPathComponent): `\(command)` → \(arguments): \(problem)")
                }
            }
        }
        XCTAssertGreaterThan(checked, 40, "the scan found the quoted commands")
        XCTAssertEqual(problems, [], problems.joined(separator: "\n"))

        // Each runbook teaches commands, and the ones on-call and release reviewers need are shown somewhere.
        var taught: Set<String> = []
        for file in files {
            let commands = Self.quotedCommands(in: file).compactMap(Self.arguments(of:))
            if file.deletingLastPathComponent().lastPathComponent == "runbooks" {
                XCTAssertFalse(commands.isEmpty, "\(file.lastPathComponent) shows no shipctl command")
            }
            taught.formUnion(commands.map { $0.prefix(2).filter { !$0.hasPrefix("-") }.joined(separator: " ") })
        }
        for needed in [
            "plan", "flags set", "flags list", "init", "rollback", "status", "audit show", "audit verify", "resume",
            "abort",
        ] {
            XCTAssertTrue(taught.contains(needed), "no document or hint shows `shipctl \(needed)`")
        }
        for runbook in ["cost-surge", "incident-triage", "secrets-rotation", "rollback"] {
            XCTAssertTrue(
                FileManager.default.fileExists(atPath: Self.root.appendingPathComponent("runbooks/\(runbook).md").path),
                "runbooks/\(runbook).md is missing")
        }
    }

    /// The check itself can fail: commands that do not exist, or options they do not take, are caught.
    func testACommandThatDoesNotExistIsCaught() async {
        for command in [
            "shipctl plans --service api --env prod", "shipctl flags flip MODEL=small --service api --env prod",
            "shipctl rollback --service api --env prod --force", "shipctl preview up --pr N --ttl D --wait",
        ] {
            let arguments = Self.arguments(of: command) ?? []
            let problem = await Self.parseProblem(arguments)
            XCTAssertNotNil(problem, command)
        }
        let fine = await Self.parseProblem(Self.arguments(of: "shipctl preview up --pr N [--ttl D]") ?? [])
        XCTAssertNil(fine)
    }

    func testTheExitCodesOfTheReadmeAndHelpAreTheOnesErrorsMapTo() async throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let table =
            readme.components(separatedBy: "## Exit codes").dropFirst().first?.components(separatedBy: "\n## ").first
            ?? ""
        let documented = Set(
            table.split(separator: "\n").compactMap { row -> [Int32]? in
                let cell = row.split(separator: "|").first?.trimmingCharacters(in: .whitespaces) ?? ""
                let codes = cell.split(separator: "/").compactMap { Int32($0.trimmingCharacters(in: .whitespaces)) }
                return codes.isEmpty ? nil : codes
            }.flatMap { $0 })
        let errors: [ShipctlError] = [
            .runtime("x"), .command(CommandFailure(command: ["aws"], status: 1, stderr: "")), .usage("x"),
            .configuration([]),
            .gatesFailed(reason: "x", revertedTo: "1"), .wouldHaveFailed("x"),
            .locked(service: "a", env: "b", holder: "c"), .interrupted("x"),
            .cancelled(signal: SIGINT, outcome: "x"), .cancelled(signal: SIGTERM, outcome: "x"),
        ]
        XCTAssertEqual(documented, Set([0] + errors.map(\.exitCode)), table)

        let help = await ShipctlRun.run(["--help"], environment: ProcessInfo.processInfo.environment)
        XCTAssertEqual(help.status, 0)
        let flattened = help.stdout.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "  ", with: " ")
        for phrase in [
            "0 success", "1 runtime failure", "2 usage or configuration error", "3 canary failed its gates",
            "4 another deployment holds the lock",
            "5 an interrupted deployment needs resume or abort", "130/143",
        ] {
            XCTAssertTrue(flattened.contains(phrase), "--help should say \(phrase): \(help.stdout)")
        }
    }

    /// `--help` teaches each default once: ArgumentParser adds `(default: …)` itself.
    func testHelpNamesEachDefaultOnce() async throws {
        let help = await ShipctlRun.run(["analyze", "--help"], environment: ProcessInfo.processInfo.environment)
        XCTAssertEqual(help.status, 0, help.output)
        XCTAssertEqual(help.stdout.components(separatedBy: "(default: now)").count - 1, 1, help.stdout)
        XCTAssertTrue(help.stdout.contains("--to=-5m"), help.stdout)
    }

    /// `--from -30m` is read by the parser as an option; the error says how to write it.
    func testATimeBackFromNowAfterASpaceGetsAHint() async throws {
        for (command, flag) in [
            (["analyze", "--service", "api", "--env", "prod", "--version", "2"], "--from"),
            (["audit", "show"], "--since"),
        ] {
            let run = await ShipctlRun.run(
                command + [flag, "-30m", "--config", "/nonexistent.yaml"],
                environment: ProcessInfo.processInfo.environment)
            XCTAssertEqual(run.status, 2, run.output)
            XCTAssertTrue(run.stderr.contains("`\(flag)=-30m`"), run.stderr)
        }
    }

    /// Under --json even the version and the help are one event a line (ShipctlRun checks each against
    /// docs/events.md); without it, the plain text people read. The version names the commit of this
    /// checkout the binary was built from.
    func testTheVersionAndTheHelpUnderJSONAreEvents() async throws {
        let environment = ProcessInfo.processInfo.environment
        let version = await ShipctlRun.run(["--version", "--json"], environment: environment)
        XCTAssertEqual(version.status, 0, version.output)
        let stamp = try XCTUnwrap(JSONValue.parse(version.stdout), version.stdout)
        XCTAssertEqual(stamp["version"]?.stringValue, "0.1.0", version.stdout)
        let head = await SystemProcessRunner(environment: environment).run(
            ProcessRequest("git", ["-C", TestWorld.repositoryRoot.path, "rev-parse", "HEAD"], mutating: false))
        XCTAssertEqual(head.status, 0, head.stderr)
        let commit = head.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(stamp["commit"]?.stringValue, commit, "built from another commit than this checkout's HEAD")
        let modified = try XCTUnwrap(stamp["modified"]?.boolValue, version.stdout)
        let plain = await ShipctlRun.run(["--version"], environment: environment)
        XCTAssertEqual(plain.stdout, "0.1.0 (\(commit.prefix(12))\(modified ? ", modified" : ""))\n")
        let help = await ShipctlRun.run(["status", "--help", "--json"], environment: environment)
        XCTAssertEqual(help.status, 0, help.output)
        let lines = help.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, help.stdout)
        let event = try XCTUnwrap(JSONValue.parse(String(lines[0])), help.stdout)
        XCTAssertEqual(event["event"]?.stringValue, "help")
        XCTAssertTrue(event["message"]?.stringValue?.contains("--watch") ?? false, help.stdout)
    }
}
