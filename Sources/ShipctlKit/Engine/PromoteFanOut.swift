import Foundation

/// `shipctl promote` for several services in one run: each its own canary with
/// its own lock, state machine and audit records, at most `maxParallel` at a
/// time, its lines labelled with its name. A signal reaches every canary in
/// flight at once through the shared cancellation state.
public struct PromoteFanOut: Sendable {
    public static let defaultParallel = 4

    public let config: ShipctlConfig
    public let env: EnvironmentConfig
    public let dependencies: Dependencies
    public let maxParallel: Int

    public init(
        config: ShipctlConfig, env: EnvironmentConfig, dependencies: Dependencies, maxParallel: Int = defaultParallel
    ) {
        self.config = config
        self.env = env
        self.dependencies = dependencies
        self.maxParallel = max(1, maxParallel)
    }

    /// Promotes every service (with its entry in `versions`, if any); throws
    /// `.services` naming each one that did not succeed once all have ended.
    public func promote(_ services: [ServiceConfig], versions: [String: String], options: PromoteOptions)
        async throws(ShipctlError) -> [PromoteOutcome]
    {
        let reporter = dependencies.reporter
        reporter.event(
            "fan-out",
            "promoting \(services.count) services to \(env.name), at most \(maxParallel) at a time: \(services.map(\.name).joined(separator: ", "))",
            ["services": .array(services.map { .string($0.name) }), "max_parallel": .int(Int64(maxParallel))])
        let results = await withTaskGroup(of: (Int, ServiceRun).self) { group in
            var started = 0
            func startNext() {
                guard started < services.count else { return }
                let index = started
                started += 1
                group.addTask {
                    (
                        index,
                        await promoteOne(services[index], version: versions[services[index].name], options: options)
                    )
                }
            }
            for _ in 0..<min(maxParallel, services.count) { startNext() }
            var collected: [(Int, ServiceRun)] = []
            for await result in group {
                collected.append(result)
                // A cancelled run starts no new canaries; those in flight revert.
                if dependencies.cancellation.signal == nil { startNext() }
            }
            return collected.sorted { $0.0 < $1.0 }.map(\.1)
        }
        summarise(results)
        let failures = results.compactMap { run -> ServiceFailure? in
            if case .failure(let error) = run.result { return ServiceFailure(service: run.service, error: error) }
            return nil
        }
        if let signal = dependencies.cancellation.signal {
            let notStarted = services.count - results.count
            let reverted = failures.filter { if case .cancelled = $0.error { true } else { false } }.map(\.service)
            throw .cancelled(
                signal: signal,
                outcome: "canaries in flight made safe: \(reverted.isEmpty ? "none" : reverted.joined(separator: ", "))"
                    + (notStarted > 0 ? "; \(notStarted) service(s) not started" : ""))
        }
        if !failures.isEmpty { throw .services(failures) }
        return results.compactMap { try? $0.result.get() }
    }

    /// How one service's canary ended, and what it wrote on the way.
    private struct ServiceRun: Sendable {
        var service: String
        var result: Result<PromoteOutcome, ShipctlError>
        var transcript: Transcript?
    }

    private func promoteOne(_ service: ServiceConfig, version: String?, options: PromoteOptions) async -> ServiceRun {
        var own = dependencies
        own.reporter = dependencies.reporter.labelled(service.name)
        var options = options
        options.version = version
        do throws(ShipctlError) {
            let outcome = try await CanaryEngine(config: config, service: service, env: env, dependencies: own).promote(
                options
            ).succeeded()
            return ServiceRun(service: service.name, result: .success(outcome), transcript: own.reporter.transcript)
        } catch {
            own.reporter.failure(error.description)
            return ServiceRun(service: service.name, result: .failure(error), transcript: own.reporter.transcript)
        }
    }

    /// One line per service, in the order they were named; under GitHub Actions
    /// each service's whole transcript in a group of its own, and a table in the job summary.
    private func summarise(_ runs: [ServiceRun]) {
        let reporter = dependencies.reporter
        var table = [
            "### shipctl: \(runs.count) services to \(env.name)", "", "| service | outcome | version | exit |",
            "|---|---|---|---|",
        ]
        for run in runs {
            let name = run.service
            let line: String
            var fields: [String: JSONValue] = ["service": .string(name)]
            switch run.result {
            case .success(let outcome):
                line = "\(name): \(outcome.outcome.rawValue), version \(outcome.version) (from \(outcome.stable))"
                fields["outcome"] = .string(outcome.outcome.rawValue)
                fields["version"] = .string(outcome.version)
                fields["exit"] = .int(0)
                table.append(
                    "| \(name) | \(outcome.outcome.rawValue) | \(outcome.version) (from \(outcome.stable)) | 0 |")
            case .failure(let error):
                let first = error.description.split(separator: "\n").first.map(String.init) ?? ""
                line = "\(name): exit \(error.exitCode): \(first)"
                fields["exit"] = .int(Int64(error.exitCode))
                table.append("| \(name) | \(MarkdownText.cell(first)) | – | \(error.exitCode) |")
            }
            if let transcript = run.transcript { reporter.group(line, replaying: transcript.lines) }
            reporter.event("service-outcome", line, fields)
        }
        reporter.appendSummary(table.joined(separator: "\n"))
    }
}
