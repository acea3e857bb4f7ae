import Foundation

/// Every failure shipctl reports to a user: what went wrong, what to do about it,
/// and the exit code CI scripts branch on. The mapping to exit codes
/// lives here and nowhere else.
public enum ShipctlError: Error, Sendable, CustomStringConvertible {
    /// The command line or the configuration is wrong: exit 2.
    case usage(String, hint: String? = nil)
    /// One or more configuration problems, each with file, line and key: exit 2.
    case configuration([ConfigIssue])
    /// A provider call, terraform, or another external step failed for good: exit 1.
    case runtime(String, hint: String? = nil)
    /// An external program failed; carries the command, its status and trimmed stderr: exit 1.
    case command(CommandFailure)
    /// The canary failed a gate and traffic was reverted to stable: exit 3.
    case gatesFailed(reason: String, revertedTo: String)
    /// `analyze`: replayed over history, the gates would have failed (nothing was changed): exit 3.
    case wouldHaveFailed(String)
    /// Another deployment holds the lock for this service/env: exit 4.
    case locked(service: String, env: String, holder: String)
    /// A deployment was interrupted and needs `resume` or `abort`: exit 5.
    case interrupted(String)
    /// SIGINT/SIGTERM arrived and traffic was made safe (reverted, or held with
    /// `--on-cancel=hold`); `outcome` says which: exit 128 + signal (130/143).
    case cancelled(signal: Int32, outcome: String)
    /// Several services ran at once and these did not succeed, each for its own reason:
    /// a signal's 130/143 first, then 3 if any canary failed its gates, else 1.
    case services([ServiceFailure])

    public var exitCode: Int32 {
        switch self {
        case .usage, .configuration: return 2
        case .runtime, .command: return 1
        case .gatesFailed, .wouldHaveFailed: return 3
        case .locked: return 4
        case .interrupted: return 5
        case .cancelled(let signal, _): return 128 + signal
        case .services(let failures):
            let codes = failures.map(\.error.exitCode)
            if let cancelled = codes.first(where: { $0 > 128 }) { return cancelled }
            return codes.contains(3) ? 3 : 1
        }
    }

    public var description: String {
        switch self {
        case .usage(let message, let hint):
            return withHint(message, hint)
        case .configuration(let issues):
            return issues.map(\.description).joined(separator: "\n")
        case .runtime(let message, let hint):
            return withHint(message, hint)
        case .command(let failure):
            return failure.description
        case .gatesFailed(let reason, let revertedTo):
            return "canary failed: \(reason); traffic reverted to version \(revertedTo)"
        case .wouldHaveFailed(let reason):
            return "a canary would have failed: \(reason)"
        case .locked(let service, let env, let holder):
            return withHint(
                "another deployment of \(service)/\(env) holds the lock: \(holder)",
                "wait for it to finish, or if that process is gone, run `shipctl status --service \(service) --env \(env)`"
            )
        case .interrupted(let message):
            return message
        case .cancelled(let signal, let outcome):
            return "cancelled by \(CancellationState.name(signal)); \(outcome)"
        case .services(let failures):
            let lines = failures.map { failure in
                "\(failure.service) (exit \(failure.error.exitCode)): "
                    + failure.error.description.replacingOccurrences(of: "\n", with: "\n    ")
            }
            return
                "\(failures.count) service(s) did not succeed: \(failures.map(\.service).joined(separator: ", "))\n  "
                + lines.joined(separator: "\n  ")
        }
    }

    /// The message on one line without its hint: a CLI's own words often sit on the lines
    /// after "exited with status N:", and a one-line report needs them.
    public var summary: String {
        description.split(separator: "\n")
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("hint:") }
            .joined(separator: " ")
    }

    /// What to do about it, when the error knows.
    public var hint: String? {
        switch self {
        case .usage(_, let hint), .runtime(_, let hint): return hint
        default: return nil
        }
    }

    private func withHint(_ message: String, _ hint: String?) -> String {
        guard let hint else { return message }
        return "\(message)\n  hint: \(hint)"
    }
}
