import Foundation
import ShipctlKit

/// `docs/events.md` as the tests read it: each event's section, by the names in its heading, so a
/// line of `--json` output can be checked against what the document promises.
public struct EventsDocument: Sendable {
    /// The text of each event's section, by event name.
    public let sections: [String: String]
    /// Fields every line may carry whatever its event.
    static let common: Set<String> = ["event", "schema", "message", "service", "dry_run"]

    public static let shared = EventsDocument(
        text: (try? String(
            contentsOf: TestWorld.repositoryRoot.appendingPathComponent("docs/events.md"), encoding: .utf8)) ?? "")

    public init(text: String) {
        var sections: [String: String] = [:]
        var names: [String] = []
        var body = ""
        func close() { for name in names { sections[name] = body } }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("### ") {
                close()
                names = line.split(separator: "`").enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
                body = ""
            } else if line.hasPrefix("## ") {
                close()
                names = []
            } else {
                body += line + "\n"
            }
        }
        close()
        self.sections = sections
    }

    /// What is wrong with one line of `--json` output, or nil: it must be a JSON object naming a
    /// documented event and the format's version, each of its fields named in that event's section.
    public func problem(with line: String) -> String? {
        guard case .object(let fields)? = JSONValue.parse(line) else { return "not a JSON object: \(line)" }
        guard let event = fields["event"]?.stringValue else { return "no `event`: \(line)" }
        guard fields["schema"] == .int(Reporter.schemaVersion) else { return "no `schema: 1`: \(line)" }
        guard let section = sections[event] else { return "event `\(event)` is not in docs/events.md: \(line)" }
        let undocumented = fields.keys.filter { !Self.common.contains($0) && !section.contains("`\($0)`") }.sorted()
        guard undocumented.isEmpty else {
            return "docs/events.md does not name \(undocumented) of event `\(event)`: \(line)"
        }
        return nil
    }
}
