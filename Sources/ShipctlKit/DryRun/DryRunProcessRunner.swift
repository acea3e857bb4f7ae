import Foundation

/// Wraps a runner for `--dry-run` (terraform's apply, a smoke test's program): programs that only read
/// still run, so the plan is built from the real state; programs that would change anything are printed
/// and answered with an empty success.
public struct DryRunProcessRunner: ProcessRunning {
    private let wrapped: any ProcessRunning
    private let redactor: Redactor
    private let print: @Sendable (String) -> Void

    public init(wrapping wrapped: any ProcessRunning, redactor: Redactor, print: @escaping @Sendable (String) -> Void) {
        self.wrapped = wrapped
        self.redactor = redactor
        self.print = print
    }

    public func run(_ request: ProcessRequest) async -> ProcessResult {
        guard request.mutating else { return await wrapped.run(request) }
        print("would run: " + ShellQuoting.display(request.argv.map(redactor.redact)))
        return ProcessResult(status: 0, stdout: "", stderr: "", timedOut: false, attempts: 0, duration: .zero)
    }
}
