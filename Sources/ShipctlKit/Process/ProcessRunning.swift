import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The one way shipctl runs external programs (`aws`, `terraform`, smoke scripts).
public protocol ProcessRunning: Sendable {
    /// Runs the request, retrying transient failures per its policy; returns the
    /// final attempt whatever its status.
    func run(_ request: ProcessRequest) async -> ProcessResult
}

extension ProcessRunning {
    /// Runs the request and throws `ShipctlError.command` unless it finally succeeds.
    public func check(_ request: ProcessRequest, redactor: Redactor) async throws(ShipctlError) -> ProcessResult {
        let result = await run(request)
        guard result.succeeded else { throw .commandFailed(request, result, redactor: redactor) }
        return result
    }
}

extension ShipctlError {
    /// A failed run as the user sees it: the command, its status, trimmed stderr, all redacted.
    public static func commandFailed(_ request: ProcessRequest, _ result: ProcessResult, redactor: Redactor)
        -> ShipctlError
    {
        .command(
            CommandFailure(
                command: request.argv.map(redactor.redact), status: result.timedOut ? nil : result.status,
                stderr: redactor.redact(result.stderr), timedOut: result.timedOut,
                timeout: result.timedOut ? request.timeout : nil, attempts: result.attempts))
    }
}
