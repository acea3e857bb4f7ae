import Foundation

/// What `promote` would do for one service/env, found without changing
/// anything: the terraform plan, where the version comes from, the live split,
/// and the canary steps with their gates. Takes no lock and writes no record.
public struct PlanReport: Sendable {
    public var service: String
    public var env: String
    public var terraform: PlanSummary?
    public var terraformDirectory: String?
    /// Resources in the plan that would move this target's traffic themselves.
    public var takeovers: [TrafficTakeover]
    /// Where the version to promote comes from, in words.
    public var versionSource: String
    /// The split serving now, or why it could not be read.
    public var live: Result<TrafficSplit, ShipctlError>
    public var steps: [CanaryStep]
    public var smoke: [String]
    public var gates: [(name: String, threshold: String, query: String)]
    public var analysis: AnalysisConfig
    public var flags: [FlagFlip]
    /// For steps with `evidence`: stable's traffic over the judge's history, and per such step (by index) how
    /// long its evidence will likely take; or why it could not be said.
    public var forecast: Result<(traffic: String, steps: [Int: EvidenceForecast]), ShipctlError>?

    public static func gather(
        config: ShipctlConfig, service: ServiceConfig, env: EnvironmentConfig, version: String?,
        dependencies: Dependencies
    ) async throws(ShipctlError) -> PlanReport {
        let provider = ServiceParts.provider(for: service, env: env, config: config, dependencies: dependencies)
        var summary: PlanSummary?
        var directory: String?
        if let block = service.terraform {
            let placeholders = Placeholders(["service": service.name, "env": env.name])
            let terraform = Terraform(
                directory: config.resolvePath(placeholders.fill(block.dir)),
                variables: block.vars.map { ($0.name, placeholders.fill($0.value)) },
                applyTimeout: config.timeouts.terraform, runner: dependencies.runner, redactor: dependencies.redactor)
            directory = terraform.directory
            try await terraform.initialise()
            // A plan file of its own: a promote running now keeps the one it is about to apply.
            let file = "shipctl-plan-\(ProcessInfo.processInfo.processIdentifier).tfplan"
            defer {
                try? FileManager.default.removeItem(
                    atPath: (terraform.directory as NSString).appendingPathComponent(file))
            }
            summary = try await terraform.plan(into: file)
        }
        let source: String
        if let version {
            source = "version \(version), given with --version"
        } else if let output = service.terraform?.versionOutput {
            source = "the terraform output `\(output)` after apply"
        } else {
            source = "\(type(of: service.target).newVersionSource) of \(provider.target)"
        }
        let live: Result<TrafficSplit, ShipctlError>
        do { live = .success(try await provider.readSplit()) } catch { live = .failure(error) }
        let gates = service.analysis.metrics.map { metric in
            (
                metric.name, MetricEvaluator.describeThreshold(metric),
                metric.source.filled(Placeholders(["service": service.name, "env": env.name])).display
            )
        }
        let placeholders = Placeholders.deployment(
            service: service, env: env, canary: "{{canary}}", stable: "{{stable}}")
        let takeovers = summary.map { TrafficTakeover.find(in: $0.resources, for: service.target) } ?? []
        var forecast: Result<(traffic: String, steps: [Int: EvidenceForecast]), ShipctlError>?
        if service.waitsForEvidence {
            do {
                forecast = .success(
                    try await Self.forecast(
                        service: service, stable: try live.get().stable,
                        source: ServiceParts.metricSource(config: config, env: env, dependencies: dependencies),
                        now: dependencies.clock.wallNow()))
            } catch {
                forecast = .failure(error)
            }
        }
        return PlanReport(
            service: service.name, env: env.name, terraform: summary, terraformDirectory: directory,
            takeovers: takeovers,
            versionSource: source,
            live: live, steps: service.steps, smoke: service.smoke.map(\.name), gates: gates,
            analysis: service.analysis,
            flags: service.onFailure.flags.map { $0.filled(placeholders) }, forecast: forecast)
    }

    /// Reads stable's requests and failures over the judge's history through the first judged count metric,
    /// and simulates each evidence step at that traffic.
    public static func forecast(service: ServiceConfig, stable: String, source: any MetricSource, now: Date)
        async throws(ShipctlError)
        -> (traffic: String, steps: [Int: EvidenceForecast])
    {
        let judge = service.analysis.judge
        guard let metric = service.analysis.metrics.first(where: { $0.total != nil && !$0.dryRun }),
            let total = metric.total
        else { throw .runtime("no judged count metric to read stable's traffic from", hint: nil) }
        let seconds = max(judge.history.timeInterval, 60)
        let placeholders = Placeholders(["service": service.name, "version": stable, "stable": stable])
        let evaluator = MetricEvaluator(source: source)
        let span = Duration.seconds(seconds)
        async let served = evaluator.count(total, placeholders: placeholders, over: span, now: now)
        async let failed = evaluator.count(metric.source, placeholders: placeholders, over: span, now: now)
        guard case .value(let requests) = await served, requests > 0, requests.isFinite else {
            throw .runtime(
                "stable (\(stable)) served no counted request over the last "
                    + "\(DurationParser.format(.seconds(seconds))) "
                    + "through \(metric.name)", hint: nil)
        }
        let failures: Double
        if case .value(let read) = await failed, read.isFinite {
            failures = min(max(read, 0), requests)
        } else {
            failures = 0
        }
        let perSecond = requests / seconds
        let rate = failures / requests
        var steps: [Int: EvidenceForecast] = [:]
        for (index, step) in service.steps.enumerated() {
            guard let evidence = step.evidence else { continue }
            steps[index] = EvidenceForecast.simulate(
                requestsPerSecond: perSecond, failureRate: max(rate, 0.001), weight: step.weight,
                evidence: evidence, judge: judge, maxIncrease: metric.maxIncrease ?? 0,
                interval: service.analysis.interval)
        }
        let traffic =
            "stable \(stable) over the last \(DurationParser.format(.seconds(seconds))): "
            + "\(String(format: "%.2g", perSecond)) requests/s, \(JudgeEvidence.percent(rate)) failing (\(metric.name))"
        return (traffic, steps)
    }

    /// Why the live split could not be read, when that is a problem: a plan that creates
    /// resources may create the target itself, so its split is not there to read yet.
    public var liveSplitFailure: ShipctlError? {
        guard case .failure(let error) = live else { return nil }
        if let terraform, !terraform.adds.isEmpty { return nil }
        return error
    }

    private static func stepText(_ step: CanaryStep) -> String {
        "\(Percent.format(step.weight))%" + (step.pause > .zero ? " for \(DurationParser.format(step.pause))" : "")
            + (step.evidence.map { " until shown < \(MetricEvaluation.format($0))x" } ?? "")
    }

    public var text: String {
        var lines = ["plan for \(service)/\(env) (nothing changed, no lock taken)"]
        if let terraform {
            lines.append("terraform in \(terraformDirectory ?? "?"): \(terraform.headline)")
            if terraform.isDestructive {
                lines.append("  ⚠ destructive: promote will stop here unless given --yes")
            }
            for takeover in takeovers {
                lines.append("  ⚠ \(takeover.problem); promote will stop here: \(takeover.fix)")
            }
        } else {
            lines.append("terraform: none configured")
        }
        lines.append("version: \(versionSource)")
        switch live {
        case .success(let split): lines.append("live now: \(split.description)")
        case .failure(let error):
            let expected = liveSplitFailure == nil ? " (expected: terraform creates resources first)" : ""
            lines.append("live now: unreadable\(expected) — " + error.summary)
        }
        lines.append("steps: " + steps.map(Self.stepText).joined(separator: " → "))
        switch forecast {
        case .success(let forecast)?:
            lines.append("evidence at \(forecast.traffic), ceiling \(DurationParser.format(analysis.judge.ceiling)):")
            for (index, step) in forecast.steps.sorted(by: { $0.key < $1.key }) {
                lines.append("  \(CanaryRun.label(index, of: steps.count)): \(step.text)")
            }
        case .failure(let error)?:
            lines.append("evidence: how long it will take is unknown: \(error.summary)")
        case nil: break
        }
        if !smoke.isEmpty { lines.append("smoke before traffic and at each step: " + smoke.joined(separator: ", ")) }
        if gates.isEmpty {
            lines.append("gates: none (each step only waits its pause)")
        } else {
            lines.append(
                "gates every \(DurationParser.format(analysis.interval)), failure_limit \(analysis.failureLimit), inconclusive_limit \(analysis.inconclusiveLimit):"
            )
            lines += gates.map { "  \($0.name) (\($0.threshold)): \($0.query)" }
        }
        if !flags.isEmpty {
            lines.append("on failure: revert, then " + flags.map(\.displayName).joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }

    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "event": "plan", "service": .string(service), "env": .string(env), "version_source": .string(versionSource),
            "steps": .array(
                steps.enumerated().map { index, step in
                    var fields: [String: JSONValue] = [
                        "weight": .number(step.weight), "pause_seconds": .number(step.pause.timeInterval),
                    ]
                    if let evidence = step.evidence { fields["evidence"] = .number(evidence) }
                    if case .success(let forecast)? = forecast, let expected = forecast.steps[index] {
                        fields["expected"] = expected.json
                    }
                    return .object(fields)
                }),
            "smoke": .array(smoke.map(JSONValue.string)),
            "gates": .array(
                gates.map {
                    ["name": .string($0.name), "threshold": .string($0.threshold), "query": .string($0.query)]
                }),
            "on_failure_flags": .array(flags.map { .object($0.auditArgs) }),
        ]
        if let terraform {
            object["terraform"] = .object(
                terraform.auditArgs.merging([
                    "destructive": .bool(terraform.isDestructive),
                    "has_changes": .bool(terraform.hasChanges),
                    "moves_traffic": .array(takeovers.map(\.json)),
                ]) { $1 })
        }
        switch live {
        case .success(let split): object["live"] = split.json
        case .failure(let error): object["live_error"] = .string(error.description)
        }
        return .object(object)
    }
}
