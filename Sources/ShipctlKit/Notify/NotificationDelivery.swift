import Foundation

/// What became of one notification: sent, or given up on after `tries`, and why.
public struct NotificationDelivery: Sendable, Equatable {
    /// `slack` or `webhook`.
    public var target: String
    /// Only the host: a Slack URL's path is its token.
    public var host: String
    /// The same id on every try, so a receiver can drop a repeat.
    public var id: String
    public var outcome: NotifyOutcome
    public var sent: Bool
    public var tries: Int
    /// The last HTTP status the receiver answered, if it answered.
    public var status: Int?
    /// Why the last try failed.
    public var error: String?
}
