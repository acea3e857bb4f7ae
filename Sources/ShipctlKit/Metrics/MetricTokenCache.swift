import Foundation

/// Tokens printed by a `bearer_command`, kept for a few minutes: a Google access token lives an hour,
/// and starting `gcloud` for every query would cost a CPU-second each. One cache serves a whole command
/// (every step of a promote), so the command runs once per lifetime, not once per step.
final class MetricTokenCache: @unchecked Sendable {
    static let lifetime: Duration = .seconds(300)

    private let lock = NSLock()
    private var tokens: [[String]: (token: String, fetched: ContinuousClock.Instant)] = [:]

    /// The token `command` prints, fetched again when it is older than `lifetime` or `fresh` asks for it.
    /// The command runs within `deadline`, the read's own: a token command that hangs must cost the read
    /// it serves, never several of the evaluations a step counts on.
    func token(_ command: [String], fresh: Bool, deadline: Duration, context: EnvironmentContext) async -> Result<
        String, MetricBackendProblem
    > {
        if !fresh, let kept = lock.withLock({ tokens[command] }), ContinuousClock.now - kept.fetched < Self.lifetime {
            return .success(kept.token)
        }
        guard let program = command.first else {
            return .failure(MetricBackendProblem(message: "bearer_command is empty"))
        }
        let result = await context.runner.run(
            ProcessRequest(
                program, Array(command.dropFirst()), workingDirectory: context.baseDirectory, timeout: deadline,
                retry: .never, mutating: false))
        if result.timedOut {
            return .failure(
                MetricBackendProblem(
                    message:
                        "the bearer_command `\(command.joined(separator: " "))` printed no token within "
                        + "\(DurationParser.format(deadline)), the read's deadline"))
        }
        let token = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard result.succeeded, !token.isEmpty, !token.contains(where: \.isNewline) else {
            return .failure(
                MetricBackendProblem(
                    message:
                        "the bearer_command `\(command.joined(separator: " "))` gave no token: \(context.redactor.quote(result.succeeded ? "it printed nothing usable" : result.stderr, limit: 300))"
                ))
        }
        context.redactor.learn(token)
        lock.withLock { tokens[command] = (token, ContinuousClock.now) }
        return .success(token)
    }
}
