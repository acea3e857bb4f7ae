import Foundation

/// Runs the configured smoke tests against one version: `invoke` calls it
/// directly through the provider, `http` GETs a URL, `run` executes the user's
/// own argument vector with placeholders filled in.
public struct SmokeRunner: Sendable {
    private let provider: any TrafficProvider
    private let runner: any ProcessRunning
    private let http: any HTTPClient
    private let redactor: Redactor
    private let workingDirectory: String

    public init(
        provider: any TrafficProvider, runner: any ProcessRunning, http: any HTTPClient, redactor: Redactor,
        workingDirectory: String
    ) {
        self.provider = provider
        self.runner = runner
        self.http = http
        self.redactor = redactor
        self.workingDirectory = workingDirectory
    }

    public func run(_ test: SmokeTest, version: String, placeholders: Placeholders) async -> SmokeResult {
        let started = ContinuousClock.now
        let (passed, detail) = await execute(test, version: version, placeholders: placeholders)
        return SmokeResult(
            name: test.name, passed: passed, detail: redactor.redact(detail),
            durationMs: (ContinuousClock.now - started).milliseconds)
    }

    private func execute(_ test: SmokeTest, version: String, placeholders: Placeholders) async -> (Bool, String) {
        switch test.kind {
        case .invoke(let payload):
            do {
                let outcome = try await provider.invoke(
                    version: version, payload: placeholders.fill(payload), timeout: test.timeout)
                return (outcome.succeeded, outcome.detail)
            } catch {
                return (false, error.description)
            }
        case .http(let url, let status):
            let filled = placeholders.fill(url)
            guard let target = URL(string: filled) else { return (false, "`\(filled)` is not a URL") }
            do {
                let response = try await http.get(target, timeout: test.timeout)
                return (response.status == status, "GET \(filled) answered \(response.status), expected \(status)")
            } catch {
                return (false, error.description)
            }
        case .run(let argv):
            let filled = argv.map(placeholders.fill)
            let request = ProcessRequest(
                filled[0], Array(filled.dropFirst()), workingDirectory: workingDirectory,
                timeout: test.timeout, retry: .never, mutating: false)
            let result = await runner.run(request)
            if result.succeeded { return (true, "exit 0") }
            let why =
                result.timedOut ? "timed out after \(DurationParser.format(test.timeout))" : "exit \(result.status)"
            // Redact the whole output first: a cut could leave the tail of a secret that straddles it.
            let tail = redactor.redact(result.stderr).trimmingCharacters(in: .whitespacesAndNewlines).suffix(300)
            return (false, tail.isEmpty ? why : "\(why): \(tail)")
        }
    }
}
