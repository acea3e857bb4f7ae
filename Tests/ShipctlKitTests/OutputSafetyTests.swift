import Foundation
import ShipctlKit
import XCTest

/// Text from outside reaches a terminal or a CI log only neutralised and
/// redacted, whatever the output mode.
final class OutputSafetyTests: XCTestCase {
    /// A reporter whose lines are collected instead of written.
    final class Captured: @unchecked Sendable {
        private let lock = NSLock()
        private var collected: [String] = []
        func append(_ line: String) { lock.withLock { collected.append(line) } }
        var lines: [String] { lock.withLock { collected.flatMap { $0.components(separatedBy: "\n") } } }
    }

    func reporter(_ mode: OutputMode, secrets: [String] = []) -> (Reporter, Captured) {
        let captured = Captured()
        let reporter = Reporter(
            mode: mode, redactor: Redactor(secrets: secrets), summaryPath: nil,
            out: { captured.append($0) }, err: { captured.append($0) })
        return (reporter, captured)
    }

    static let hostile =
        "x\n::error::pwned\n  ::add-mask::zzz\r\u{1B}[2J\u{1B}]0;title\u{07}##[error]old\u{9B}31m\u{202E}evil"

    func testControlCharactersAreShownEscaped() {
        XCTAssertEqual(
            TerminalText.neutralised("a\u{1B}[31mb\rc\u{7F}d\u{85}e\u{202E}f\tg\nh"),
            "a\\x1b[31mb\\rc\\x7fd\\x85e\\u{202e}f\tg\nh")
        XCTAssertEqual(TerminalText.neutralised("one\ntwo", keepNewlines: false), "one\\ntwo")
        XCTAssertEqual(TerminalText.neutralised("plain ü text"), "plain ü text")
    }

    func testNoLineFromDataBecomesAWorkflowCommand() {
        for mode in [OutputMode.githubActions, .human] {
            let (reporter, captured) = reporter(mode)
            reporter.beginGroup("smoke \(Self.hostile)")
            reporter.event("smoke", "smoke test failed: \(Self.hostile)")
            reporter.line("status\n\(Self.hostile)")
            reporter.warning("careful: \(Self.hostile)")
            reporter.failure("broken: \(Self.hostile)")
            reporter.endGroup()
            let lines = captured.lines
            XCTAssertFalse(
                lines.joined().unicodeScalars.contains {
                    $0.value == 0x1B || $0.value == 0x9B || $0.value == 0x0D || $0.value == 0x07
                }, "\(mode): \(lines)")
            if mode == .githubActions {
                let commands = lines.filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("::") }
                XCTAssertEqual(
                    commands.map { $0.components(separatedBy: "::").dropFirst().first ?? "" },
                    ["group", "warning", "error", "endgroup"], "\(lines)")
                XCTAssertFalse(lines.contains { $0.contains("##[") }, "\(lines)")
                // The runner unescapes %0A back into the message; it never splits the command.
                XCTAssertTrue(lines.contains { $0.hasPrefix("::error::broken: x%0A\\::error::pwned") }, "\(lines)")
            }
        }
    }

    func testWorkflowCommandDataIsEscapedAsTheRunnerExpects() {
        XCTAssertEqual(TerminalText.workflowCommandData("100% done\r\nnext"), "100%25 done%0D%0Anext")
        XCTAssertEqual(TerminalText.workflowCommandProperty("a:b,c%"), "a%3Ab%2Cc%25")
    }

    /// A secret with a quote, a backslash and a newline is hidden in JSON output:
    /// redaction happens on the values, before encoding escapes them.
    func testJSONHidesSecretsThatEncodingWouldEscape() throws {
        let secret = "tok\"en\\zz\nq9"
        let (reporter, captured) = reporter(.json, secrets: [secret])
        reporter.event(
            "flag", "flag set with \(secret)", ["args": ["credential": .string(secret), secret: "as a key"]])
        reporter.failure("failed near \(secret)")
        reporter.json(["value": .string("prefix \(secret) suffix")], event: "message")
        let output = captured.lines.joined(separator: "\n")
        XCTAssertFalse(output.contains("tok"), output)
        XCTAssertFalse(output.contains("zz"), output)
        for line in captured.lines {
            XCTAssertNotNil(JSONValue.parse(line), "every line is one JSON object: \(line)")
        }
        XCTAssertTrue(output.contains("\"message\":\"failed near ***\""), output)
    }

    func testTheSameRedactorLearnsWhatTheRunFindsOut() {
        let (reporter, captured) = reporter(.human)
        let copy = reporter.redactor
        copy.learn("SensitiveDbPassw0rd!")
        reporter.failure("`SensitiveDbPassw0rd!` is not a published Lambda version number")
        XCTAssertEqual(captured.lines, ["error: `***` is not a published Lambda version number"])
    }

    func testALongAnswerIsCutAtAWordsEndAndSaysHowMuchIsLeft() {
        let answer = "An error occurred (ResourceNotFoundException) when calling the GetAlias operation: alias live"
        XCTAssertEqual(AnswerQuote.quote("  \(answer)\n"), answer)
        XCTAssertEqual(
            AnswerQuote.quote(answer, limit: 60),
            "An error occurred (ResourceNotFoundException) when calling… (35 more characters)")
        XCTAssertEqual(
            AnswerQuote.quote(answer, limit: 40), "An error occurred (ResourceNotFoundExcep… (53 more characters)",
            "the last word's end is too far back: cut at the limit")
        let word = String(repeating: "x", count: 100)
        XCTAssertEqual(AnswerQuote.quote(word, limit: 10), "xxxxxxxxxx… (90 more characters)")
        XCTAssertEqual(AnswerQuote.quote(" \n "), "(nothing)")
    }

    func testACutAnswerKeepsTheLastLineWhenItNamesTheError() throws {
        let warnings = (1...20).map { "WARNING: the configuration file option number \($0) is deprecated" }
        let error = "An error occurred (AccessDeniedException) when calling the UpdateAlias operation: not allowed"
        let answer = (warnings + [error]).joined(separator: "\n")
        let quoted = AnswerQuote.quote(answer, limit: 200)
        XCTAssertTrue(quoted.hasPrefix("WARNING: the configuration file option number 1 is deprecated\n"), quoted)
        XCTAssertTrue(quoted.hasSuffix(" … \(error)"), quoted)
        XCTAssertLessThanOrEqual(quoted.count, 200 + 40, "the limit plus the note of what was left out")
        // What is shown and what it says was left out add up to the whole answer.
        let note = try XCTUnwrap(quoted.range(of: #" … \((\d+) characters left out\) … "#, options: .regularExpression))
        let leftOut = Int(quoted[note].filter(\.isNumber)) ?? -1
        XCTAssertEqual(quoted.count - quoted[note].count + leftOut, answer.count, quoted)
        // Only an error is worth the room: a last line of more noise is not kept.
        let noise = (warnings + ["done"]).joined(separator: "\n")
        XCTAssertTrue(AnswerQuote.quote(noise, limit: 200).hasSuffix("more characters)"))
        // A long error line is itself cut at a word's end, and says so.
        let long = (warnings + ["Error: " + String(repeating: "denied ", count: 40)]).joined(separator: "\n")
        let cut = AnswerQuote.quote(long, limit: 200)
        XCTAssertTrue(cut.contains(" … Error: denied denied"), cut)
        XCTAssertTrue(cut.hasSuffix("denied…"), cut)
    }
}
