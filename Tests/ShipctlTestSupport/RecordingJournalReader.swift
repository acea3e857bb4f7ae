import Foundation
import ShipctlKit

/// A reader of the journal beside the audit log and the reporter: every entry it was given, in order.
public final class RecordingJournalReader: JournalReader, @unchecked Sendable {
    private let lock = NSLock()
    private var kept: [JournalEntry] = []

    public init() {}

    public var entries: [JournalEntry] { lock.withLock { kept } }

    public func read(_ entry: JournalEntry) {
        lock.withLock { kept.append(entry) }
    }
}
