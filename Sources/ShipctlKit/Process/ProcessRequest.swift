import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One external program to run: always an argument vector, never a shell string.
public struct ProcessRequest: Sendable {
    public var executable: String
    public var arguments: [String]
    public var environment: [String: String]
    public var workingDirectory: String?
    public var timeout: Duration
    public var retry: RetryPolicy
    /// Changes something in the world; `--dry-run` prints these instead of running them.
    public var mutating: Bool

    public init(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:],
        workingDirectory: String? = nil,
        timeout: Duration = .seconds(60), retry: RetryPolicy = .standard, mutating: Bool
    ) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.timeout = timeout
        self.retry = retry
        self.mutating = mutating
    }

    public var argv: [String] { [executable] + arguments }
}
