import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// `docs/events.md` names every event `--json` can print; the end-to-end tests check each line they
/// see against it (`ShipctlRun.run`), and these check what no run may print.
final class EventsDocumentTests: XCTestCase {
    /// Every event name written in the sources: the first argument of `Reporter.event`, the `event:`
    /// of `Reporter.json`, the `kind:` a journal event is shown as, and the names the reporter gives its
    /// own lines.
    func testEveryEventTheSourcesNameIsDocumented() throws {
        let sources = TestWorld.repositoryRoot.appendingPathComponent("Sources")
        let paths = FileManager.default.enumerator(atPath: sources.path)?.compactMap { $0 as? String } ?? []
        var names: Set<String> = ["error", "warning", "message", "rollback", "abort"]
        let patterns = [#"\.event\(\s*"([a-z-]+)""#, #"event: "([a-z-]+)""#, #"\.event\(\s*kind: "([a-z-]+)""#]
        for path in paths where path.hasSuffix(".swift") {
            let text = try String(contentsOf: sources.appendingPathComponent(path), encoding: .utf8)
            for pattern in patterns {
                let expression = try NSRegularExpression(pattern: pattern)
                for match in expression.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                    if let range = Range(match.range(at: 1), in: text) { names.insert(String(text[range])) }
                }
            }
        }
        XCTAssertGreaterThan(names.count, 30, "the scan found the events: \(names.sorted())")
        let missing = names.subtracting(EventsDocument.shared.sections.keys).sorted()
        XCTAssertEqual(missing, [], "events the sources print that docs/events.md does not name")
    }

    /// What the reporter itself writes under `--json` — events, plain lines, problems, command results —
    /// is one documented object per line, with the format's version.
    func testEveryLineTheReporterWritesIsADocumentedEvent() {
        let lines = Transcript()
        let reporter = Reporter(
            mode: .json, redactor: Redactor(secrets: ["hunter2"]), summaryPath: nil, out: { lines.append($0) },
            err: { lines.append($0) })
        reporter.event("revert", "traffic back on 1", ["to": "1"])
        reporter.line("a table a person reads")
        reporter.warning("a warning naming hunter2")
        reporter.failure("an error")
        reporter.json(["seq": 1, "hash": "abc"], event: "audit-record")
        reporter.labelled("api").event("smoke", "smoke ok", ["test": "ping", "passed": true, "detail": "200"])
        XCTAssertEqual(lines.lines.count, 6)
        for line in lines.lines {
            XCTAssertNil(EventsDocument.shared.problem(with: line), line)
            XCTAssertFalse(line.contains("hunter2"), line)
        }
        // A field the document does not name is caught.
        XCTAssertNotNil(EventsDocument.shared.problem(with: #"{"event":"revert","schema":1,"surprise":true}"#))
        XCTAssertNotNil(EventsDocument.shared.problem(with: #"{"event":"revert","to":"1"}"#), "no schema")
        XCTAssertNotNil(EventsDocument.shared.problem(with: "would run: aws lambda update-alias"))
    }
}
