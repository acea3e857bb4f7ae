import Foundation

/// A failed external program, as a user needs to see it to act.
public struct CommandFailure: Sendable, CustomStringConvertible {
    public var command: [String]
    public var status: Int32?
    public var stderr: String
    public var timedOut: Bool
    /// The limit it ran into, when it timed out.
    public var timeout: Duration?
    public var attempts: Int

    public init(
        command: [String], status: Int32?, stderr: String, timedOut: Bool = false, timeout: Duration? = nil,
        attempts: Int = 1
    ) {
        self.command = command
        self.status = status
        self.stderr = stderr
        self.timedOut = timedOut
        self.timeout = timeout
        self.attempts = attempts
    }

    public var description: String {
        let shown = command.joined(separator: " ")
        let what =
            timedOut
            ? "timed out\(timeout.map { " after \(DurationParser.format($0))" } ?? "") and was killed"
            : "exited with status \(status.map(String.init) ?? "?")"
        let tries = attempts > 1 ? " after \(attempts) attempts" : ""
        let detail = stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        let trimmed = detail.count > 2000 ? String(detail.suffix(2000)) : detail
        return "`\(shown)` \(what)\(tries)"
            + (trimmed.isEmpty ? "" : ":\n  \(trimmed.replacingOccurrences(of: "\n", with: "\n  "))")
    }
}
