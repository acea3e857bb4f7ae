import Foundation

/// How a deployment ended, as written in `deployment.finish`'s outcome.
public enum DeploymentOutcome: String, Sendable {
    case succeeded
    case rolledBack = "rolled-back"
    case failed
    case cancelled
}
