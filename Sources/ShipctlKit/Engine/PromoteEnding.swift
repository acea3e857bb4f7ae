import Foundation

/// How a promote ended, as the engine returns it. Every ending is a value; the command turns the ones that
/// are not a success into the error it reports (`failure`), so exit codes are decided in one place.
public enum PromoteEnding: Sendable, Equatable {
    /// The canary serves everyone, or already did.
    case promoted
    /// A gate failed, or the canary ran out of evidence and was reverted: traffic is back on `to`.
    case reverted(reason: String, to: String)
    /// Left as it is on purpose, for `resume` or `abort`: a step's evidence still missing at the end of its wait.
    case held(String)
    /// A signal arrived: traffic reverted, or held with `--on-cancel hold`, as `outcome` says.
    case cancelled(signal: Int32, outcome: String)
    /// The lock was lost to what may be another runner: traffic is left as it is.
    case stoppedWithoutLock(String, hint: String)

    /// What the deployment's `deployment.finish` says of it.
    public var outcome: DeploymentOutcome {
        switch self {
        case .promoted: .succeeded
        case .reverted: .rolledBack
        case .cancelled: .cancelled
        case .held, .stoppedWithoutLock: .failed
        }
    }

    /// The error a command reports for this ending, with its exit code; nil for a promoted canary.
    public var failure: ShipctlError? {
        switch self {
        case .promoted: nil
        case .reverted(let reason, let to): .gatesFailed(reason: reason, revertedTo: to)
        case .held(let message): .interrupted(message)
        case .cancelled(let signal, let outcome): .cancelled(signal: signal, outcome: outcome)
        case .stoppedWithoutLock(let message, let hint): .runtime(message, hint: hint)
        }
    }
}
