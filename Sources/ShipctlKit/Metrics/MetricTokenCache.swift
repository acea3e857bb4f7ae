import Foundation

/// Tokens printed by a `bearer_command`, kept for a few minutes: a Google access token lives an hour,
/// and starting `gcloud` for every query would cost a CPU-second each.
final class MetricTokenCache: @unchecked Sendable {
    static let lifetime: Duration = .seconds(300)

    private let lock = NSLock()
    private var tokens: [[String]: (token: String, fetched: ContinuousClock.Instant)] = [:]

    /// The token `command` prints, fetched again when it is older than `lifetime` or `fresh` asks for it.
    func token(_ command: [String], fresh: Bool, context: EnvironmentContext) async -> Result<
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
                program, Array(command.dropFirst()), workingDirectory: context.baseDirectory, timeout: .seconds(30),
                retry: .standard, mutating: false))
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
