import Foundation

/// The reporter as a reader of the journal: each event as a line, a `--json` event, a workflow command
/// under GitHub Actions, and on a terminal the live status block it feeds.
public struct ReporterJournalReader: JournalReader {
    public let reporter: Reporter

    public init(reporter: Reporter) {
        self.reporter = reporter
    }

    public func read(_ entry: JournalEntry) {
        switch entry.event.shown(in: entry) {
        case .event(let kind, let message, let fields): reporter.event(kind, message, fields)
        case .warning(let text): reporter.warning(text)
        case nil: break
        }
    }
}
