import Foundation

/// One `notify:` entry: where a deployment's ending is sent, and which endings.
public struct NotifyTarget: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A Slack incoming webhook: a readable message.
        case slack
        /// Any HTTPS endpoint: the event as JSON, signed with `secret` (HMAC-SHA256 of the body).
        case webhook(secret: String?)
    }

    public var kind: Kind
    /// The whole URL is a secret for Slack (its path is the token); the audit log keeps only the host.
    public var url: URL
    public var on: Set<NotifyOutcome>

    public init(kind: Kind, url: URL, on: Set<NotifyOutcome> = NotifyOutcome.defaults) {
        self.kind = kind
        self.url = url
        self.on = on
    }

    /// `slack` or `webhook`: the name the configuration and the audit log give it.
    public var name: String {
        switch kind {
        case .slack: "slack"
        case .webhook: "webhook"
        }
    }

    /// What output and the log may show of where it goes.
    public var host: String { url.host ?? "?" }
}
