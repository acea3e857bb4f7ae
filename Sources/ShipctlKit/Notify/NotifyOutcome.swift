import Foundation

/// How a deployment ended, in the words a `notify:` target's `on:` list uses.
public enum NotifyOutcome: String, Sendable, CaseIterable {
    case succeeded
    case rolledBack = "rolled-back"
    case failed
    case interrupted

    /// What a target hears about when its `on:` is not given: the endings someone must look at.
    public static let defaults: Set<NotifyOutcome> = [.rolledBack, .failed, .interrupted]

    public init(_ outcome: DeploymentOutcome) {
        switch outcome {
        case .succeeded: self = .succeeded
        case .rolledBack: self = .rolledBack
        case .failed: self = .failed
        case .cancelled: self = .interrupted
        }
    }
}
