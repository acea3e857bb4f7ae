import Foundation

/// A reader of the journal beside the audit log: the reporter, and whatever else follows a deployment.
/// Reading never fails and never delays the deployment.
public protocol JournalReader: Sendable {
    func read(_ entry: JournalEntry)
}
