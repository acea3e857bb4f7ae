import Foundation

/// The reporter as a reader of the journal: each event as a line, a `--json` event, a workflow command
/// under GitHub Actions, and on a terminal the live status block it feeds. A step's lines are grouped (a
/// collapsible group under GitHub Actions, a heading elsewhere) from its shift to what ends its watch.
public struct ReporterJournalReader: JournalReader {
    public let reporter: Reporter
    private let group = OpenGroup()

    public init(reporter: Reporter) {
        self.reporter = reporter
    }

    public func read(_ entry: JournalEntry) {
        if entry.event.endsStep, group.close() { reporter.endGroup() }
        if entry.stage == .announced,
            case .shifted(let step, let steps, let weight, _, _, _, let canary, _) = entry.event
        {
            if group.close() { reporter.endGroup() }
            reporter.beginGroup(
                "\(DeploymentEvent.stepLabel(step, of: steps)): \(Percent.format(weight))% on version \(canary)")
            group.open()
        }
        switch entry.event.shown(in: entry) {
        case .event(let kind, let message, let fields): reporter.event(kind, message, fields)
        case .warning(let text): reporter.warning(text)
        case nil: break
        }
    }

    /// Whether a step's group is open; the reader is a value, the group one per journal.
    private final class OpenGroup: @unchecked Sendable {
        private let lock = NSLock()
        private var isOpen = false

        func open() { lock.withLock { isOpen = true } }

        /// Closes the group; true when it was open.
        func close() -> Bool {
            lock.withLock {
                defer { isOpen = false }
                return isOpen
            }
        }
    }
}
