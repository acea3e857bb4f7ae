import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// The terminal view of a promote, seen the way a person sees it: the screen
/// of a real terminal (tmux) while the canary runs and after it ends, and the
/// plain lines that a pipe, `NO_COLOR` or a dumb terminal get instead.
final class LiveViewTests: WorldTestCase {
    static let steps = """
                  - { weight: 10, pause: 6s }
                  - { weight: 100 }
        """

    /// What a terminal shows after `bytes`: lines written, `ESC [ n F` (up n lines) and
    /// `ESC [ J` (clear to the end) obeyed, colours dropped. Returns the screen after
    /// each erase too, to see that a block was never drawn twice.
    static func screens(_ bytes: String) -> (final: [String], afterEachDraw: [[String]]) {
        var lines: [String] = [""]
        var row = 0
        var draws: [[String]] = []
        var scalars = Array(bytes.unicodeScalars)[...]
        while let scalar = scalars.popFirst() {
            if scalar == "\u{1B}", scalars.first == "[" {
                scalars.removeFirst()
                var parameter = ""
                while let next = scalars.first, next.properties.numericType != nil || next == ";" {
                    parameter.unicodeScalars.append(scalars.removeFirst())
                }
                guard let command = scalars.popFirst() else { break }
                switch command {
                case "F":
                    draws.append(lines)
                    row = max(0, row - (Int(parameter) ?? 1))
                    lines[row] = ""
                case "J":
                    lines.removeSubrange((row + 1)...)
                    lines[row] = ""
                default:
                    break
                }
            } else if scalar == "\n" {
                row += 1
                if row == lines.count { lines.append("") }
            } else if scalar != "\r" {
                lines[row].unicodeScalars.append(scalar)
            }
        }
        draws.append(lines)
        return (
            lines.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty },
            draws.map { $0.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty } }
        )
    }

    /// Runs shipctl on a pseudo-terminal through script(1); returns its exit status and every byte it wrote.
    func onATerminal(_ arguments: [String], variables: [String: String]) async throws -> (status: Int32, bytes: String)
    {
        var environment = world.environment.merging(variables) { $1 }
        for name in ["NO_COLOR", "TERM"] where variables[name] == nil { environment.removeValue(forKey: name) }
        let typescript = world.directory.appendingPathComponent("typescript-\(UUID().uuidString.prefix(6))").path
        let command = ([TestWorld.shipctlBinary] + arguments).map { "'\($0)'" }.joined(separator: " ")
        let run = await SystemProcessRunner(environment: environment).run(
            ProcessRequest(
                "script", ["-q", "-e", "-c", command, typescript],
                timeout: .seconds(120), retry: .never, mutating: true))
        // script(1) adds a line of its own before and after what the program wrote.
        let lines = try String(contentsOfFile: typescript, encoding: .utf8).split(
            separator: "\n", omittingEmptySubsequences: false
        )
        .filter { !$0.hasPrefix("Script started on ") && !$0.hasPrefix("Script done on ") }
        return (run.status, lines.joined(separator: "\n"))
    }

    func testOnATerminalTheStatusBlockRedrawsInPlaceAndTheScreenEndsWithTheOutcome() async throws {
        try await world.createFunction("live-app", versions: 2)
        let config = try world.writeConfig(LambdaPromoteTests.config(function: "live-app", steps: Self.steps))
        let (status, bytes) = try await onATerminal(
            ["promote", "--service", "api", "--env", "prod", "--version", "2", "--config", config],
            variables: ["TERM": "xterm-256color"])
        XCTAssertEqual(status, 0, bytes)

        let (final, draws) = Self.screens(bytes)
        let withBlock = draws.filter { screen in screen.contains { $0.contains("left in the pause") } }
        XCTAssertGreaterThanOrEqual(
            withBlock.count, 3, "the block should be redrawn as the pause runs: \(bytes.debugDescription)")
        for screen in withBlock {
            XCTAssertEqual(
                screen.filter { $0.contains("left in the pause") }.count, 1,
                "one block, redrawn in place:\n\(screen.joined(separator: "\n"))")
            XCTAssertEqual(
                screen.filter { $0.contains("▶ api/prod: version 2 over 1 · step 1/2") }.count, 1,
                screen.joined(separator: "\n"))
        }
        let lastBlock = try XCTUnwrap(withBlock.last)
        XCTAssertTrue(
            lastBlock.contains { $0.contains("traffic") && $0.contains("███░") && $0.contains("10%") },
            lastBlock.joined(separator: "\n"))
        XCTAssertTrue(
            lastBlock.contains { $0.contains("error-rate") && $0.contains("(max 0.02)") },
            lastBlock.joined(separator: "\n"))
        XCTAssertTrue(
            bytes.contains("\u{1B}[31m") || bytes.contains("\u{1B}[32m") || bytes.contains("\u{1B}[33m"),
            "verdicts in colour")
        XCTAssertEqual(
            Set(withBlock.compactMap { $0.first { $0.contains("left in the pause") } }).count > 1, true,
            "the time left counts down")

        XCTAssertEqual(
            final.last, "api/prod: version 2 serves 100% and is now last-known-good", final.joined(separator: "\n"))
        XCTAssertFalse(
            final.contains { $0.contains("left in the pause") || $0.contains("▶") },
            "the block is gone at the end:\n\(final.joined(separator: "\n"))")
        XCTAssertTrue(
            final.contains { $0.hasPrefix("promoting api/prod") },
            "the other lines stay:\n\(final.joined(separator: "\n"))")
        XCTAssertFalse(
            final.contains { $0.contains("s left] ") }, "evaluations update the block instead of scrolling by")
    }

    func testNoColorADumbTerminalAndAPipeGetPlainLines() async throws {
        try await world.createFunction("plain-app", versions: 2)
        let config = try world.writeConfig(LambdaPromoteTests.config(function: "plain-app", steps: Self.steps))
        let promote = ["promote", "--service", "api", "--env", "prod", "--config", config]
        // A pseudo-terminal through script(1), with NO_COLOR, then with TERM=dumb.
        for (name, variables, version) in [
            ("NO_COLOR", ["NO_COLOR": "1", "TERM": "xterm"], "2"), ("TERM=dumb", ["TERM": "dumb"], "1"),
        ] {
            let (status, typescript) = try await onATerminal(promote + ["--version", version], variables: variables)
            XCTAssertEqual(status, 0, "\(name): \(typescript)")
            XCTAssertFalse(
                typescript.contains("\u{1B}["), "\(name): no colour or cursor codes: \(typescript.debugDescription)")
            XCTAssertTrue(typescript.contains("s left] "), "\(name): every evaluation as a plain line: \(typescript)")
        }
        let piped = await world.shipctl(promote + ["--version", "2"], config: config)
        XCTAssertEqual(piped.status, 0, piped.output)
        XCTAssertFalse(piped.output.contains("\u{1B}"), piped.output)
        XCTAssertTrue(piped.stdout.contains("s left] error-rate = "), piped.stdout)
    }
}
