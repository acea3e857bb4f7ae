import Foundation

/// One deployment as an OpenTelemetry trace, built from its journal: a root span in the CI/CD conventions,
/// a span per canary step holding its traffic call and smoke tests, spans for terraform, the revert,
/// a rollback and each flag flip, and each gate evaluation as an event of the step it judged.
/// Spans are kept in memory (at most `spanLimit`) and exported once the deployment is over.
final class DeploymentTrace: JournalReader, @unchecked Sendable {
    static let spanLimit = 2000

    private let lock = NSLock()
    private var spans: [TraceSpan] = []
    private var dropped = 0
    /// Open spans of announced actions, by what they do (a flag flip runs beside the revert).
    private var open: [String: Int] = [:]
    private var step: Int?
    private let rootIndex = 0

    /// The root span: what every action of the deployment descends from, and what its processes get.
    let root: TraceContext

    init(deployment: String, service: String, env: String, actor: Actor, parent: TraceContext?, now: Date = Date()) {
        root = TraceContext.child(of: parent)
        var span = TraceSpan(
            name: "deploy \(service)/\(env)", context: root, parentSpanID: parent?.spanID, kind: .internal,
            start: now)
        span.attributes = [
            "cicd.pipeline.task.type": "deploy", "deployment.environment.name": .string(env),
            "deployment.id": .string(deployment), "deployment.name": .string(service),
            "shipctl.service": .string(service), "enduser.id": .string(actor.name),
        ]
        if let run = actor.run { span.attributes["cicd.pipeline.run.id"] = .string(run) }
        spans = [span]
    }

    /// The span an announced action runs in, for the processes it starts; nil when it has none.
    func context(of entry: JournalEntry) -> TraceContext? {
        lock.withLock { open[Self.key(of: entry.event)].map { spans[$0].context } }
    }

    func read(_ entry: JournalEntry) {
        let now = Date()
        lock.withLock {
            switch entry.stage {
            case .announced:
                start(entry.event, at: now)
            case .done:
                finish(entry.event, at: now, error: nil)
            case .failed(let error, _):
                finish(entry.event, at: now, error: error)
            case .happened:
                happened(entry.event, at: now)
            }
        }
    }

    /// Every span, the open ones ended now (the root last), for the exporter.
    func finished(at now: Date = Date()) -> [TraceSpan] {
        lock.withLock {
            closeStep(at: now)
            for index in spans.indices where spans[index].end == nil { spans[index].end = now }
            if dropped > 0 { spans[rootIndex].attributes["shipctl.dropped_spans"] = .int(Int64(dropped)) }
            return spans
        }
    }

    // MARK: building the tree (called under the lock)

    private func start(_ event: DeploymentEvent, at now: Date) {
        guard let (name, kind, attributes) = Self.action(event) else { return }
        if case .shifted = event { openStep(event, at: now) }
        if case .reverted = event { closeStep(at: now) }
        if case .rolledBack(_, let target, let to, let from, _) = event {
            spans[rootIndex].attributes["shipctl.version.stable"] = .string(to)
            spans[rootIndex].attributes["shipctl.version.canary"] = .string(from)
            spans[rootIndex].attributes["shipctl.target"] = .string(target)
        }
        let parent = (step.map { spans[$0].context } ?? root)
        guard let index = add(name: name, kind: kind, parent: parent, start: now, attributes: attributes) else {
            return
        }
        open[Self.key(of: event)] = index
    }

    private func finish(_ event: DeploymentEvent, at now: Date, error: String?) {
        guard let index = open.removeValue(forKey: Self.key(of: event)) else { return }
        spans[index].end = now
        if let error {
            spans[index].failed = true
            spans[index].error = error
        }
    }

    private func happened(_ event: DeploymentEvent, at now: Date) {
        let current = step ?? rootIndex
        switch event {
        case .started(let target, let stable, let canary, _, let dryRun):
            spans[rootIndex].attributes["shipctl.version.stable"] = .string(stable)
            spans[rootIndex].attributes["shipctl.version.canary"] = .string(canary)
            spans[rootIndex].attributes["shipctl.target"] = .string(target)
            spans[rootIndex].attributes["shipctl.dry_run"] = .bool(dryRun)
        case .resumed(_, _, let stable, let canary):
            spans[rootIndex].attributes["shipctl.version.stable"] = .string(stable)
            spans[rootIndex].attributes["shipctl.version.canary"] = .string(canary)
        case .smokeTested(let test, _, let version, let passed, _, let detail, let durationMs):
            let started = now.addingTimeInterval(-Double(max(0, durationMs)) / 1000)
            if let index = add(
                name: "smoke \(test)", kind: .client, parent: spans[current].context, start: started,
                attributes: ["shipctl.smoke.test": .string(test), "shipctl.version": .string(version)])
            {
                spans[index].end = now
                if !passed {
                    spans[index].failed = true
                    spans[index].error = String(detail.prefix(500))
                }
            }
        case .evaluated(_, let evaluations, _, _):
            for evaluation in evaluations {
                spans[current].add(TraceSpan.Event(name: "gate", time: now, attributes: Self.gate(evaluation)))
            }
        case .gateFailed(_, let reason):
            spans[current].add(TraceSpan.Event(name: "gate failed", time: now, attributes: ["reason": .string(reason)]))
        case .terraformPlanned(let headline, _):
            spans[rootIndex].add(
                TraceSpan.Event(name: "terraform plan", time: now, attributes: ["shipctl.plan": .string(headline)]))
        case .promoted(let version, _):
            end(status: "succeeded", outcome: "succeeded", version: version, at: now, reason: nil)
        case .ended(_, let version, let reason, _, let outcome):
            end(
                status: outcome == .succeeded ? "succeeded" : "failed", outcome: outcome.rawValue, version: version,
                at: now, reason: reason)
        default:
            break
        }
    }

    private func end(status: String, outcome: String, version: String, at now: Date, reason: String?) {
        closeStep(at: now)
        spans[rootIndex].attributes["deployment.status"] = .string(status)
        spans[rootIndex].attributes["shipctl.outcome"] = .string(outcome)
        spans[rootIndex].attributes["shipctl.version.live"] = .string(version)
        if status != "succeeded" {
            spans[rootIndex].failed = true
            spans[rootIndex].error = reason.map { String($0.prefix(500)) } ?? outcome
        }
    }

    private func openStep(_ event: DeploymentEvent, at now: Date) {
        closeStep(at: now)
        guard case .shifted(let number, let steps, let weight, _, _, _, _, _) = event else { return }
        step = add(
            name: "step \(number)/\(steps) (\(MetricEvaluation.format(weight))%)", kind: .internal, parent: root,
            start: now,
            attributes: ["shipctl.step": .int(Int64(number)), "shipctl.weight": .number(weight)])
    }

    private func closeStep(at now: Date) {
        if let step, spans[step].end == nil { spans[step].end = now }
        step = nil
    }

    private func add(
        name: String, kind: TraceSpan.Kind, parent: TraceContext, start: Date, attributes: [String: JSONValue]
    ) -> Int? {
        guard spans.count < Self.spanLimit else {
            dropped += 1
            return nil
        }
        var span = TraceSpan(
            name: name, context: TraceContext.child(of: root), parentSpanID: parent.spanID, kind: kind, start: start)
        span.attributes = attributes
        spans.append(span)
        return spans.count - 1
    }

    // MARK: naming

    /// What an announced action's span is called, its kind and attributes; nil for an event that is no action.
    private static func action(_ event: DeploymentEvent) -> (String, TraceSpan.Kind, [String: JSONValue])? {
        switch event {
        case .shifted(_, _, let weight, _, let target, _, let canary, _):
            return (
                weight < 100
                    ? "shift \(MetricEvaluation.format(weight))% to \(canary)" : "route all traffic to \(canary)",
                .client,
                ["shipctl.target": .string(target), "shipctl.weight": .number(weight)]
            )
        case .reverted(let target, let to, let from, let reason):
            return (
                "revert to \(to)", .client,
                [
                    "shipctl.target": .string(target), "shipctl.from": .string(from),
                    "shipctl.reason": .string(String(reason.prefix(500))),
                ]
            )
        case .rolledBack(let kind, let target, let to, let from, _):
            return ("\(kind) to \(to)", .client, ["shipctl.target": .string(target), "shipctl.from": .string(from)])
        case .flagFlipped(let flip, _, _):
            return ("flag \(flip.displayName)", .client, flip.auditArgs)
        case .terraformApplied(let step, _):
            return ("terraform apply", .client, ["shipctl.step": .string(step)])
        case .terraformDestroyed(let workspace):
            return ("terraform destroy", .client, ["shipctl.workspace": .string(workspace)])
        case .versionPublished:
            return ("publish version", .client, [:])
        case .previewSecretPut(let name, _):
            return ("put preview secret", .client, ["shipctl.secret": .string(name)])
        default:
            return nil
        }
    }

    /// Which open span an entry ends: flags by name, every other action by its kind.
    private static func key(of event: DeploymentEvent) -> String {
        switch event {
        case .flagFlipped(let flip, _, _): "flag \(flip.displayName)"
        case .shifted: "shift"
        case .reverted: "revert"
        case .rolledBack: "rollback"
        case .terraformApplied, .terraformDestroyed: "terraform"
        case .versionPublished: "version"
        case .previewSecretPut: "secret"
        default: "other"
        }
    }

    /// A gate evaluation as a span event: the metric, its value against the threshold, the verdict, and the
    /// judge's counts when it compared the canary with stable.
    private static func gate(_ evaluation: MetricEvaluation) -> [String: JSONValue] {
        var attributes: [String: JSONValue] = [
            "shipctl.metric": .string(evaluation.metric), "shipctl.threshold": .string(evaluation.threshold),
            "shipctl.verdict": .string(evaluation.verdict.rawValue),
        ]
        if let value = evaluation.value, value.isFinite { attributes["shipctl.value"] = .number(value) }
        if evaluation.verdict != .pass { attributes["shipctl.reason"] = .string(String(evaluation.reason.prefix(300))) }
        if let judge = evaluation.judge, case .object(let fields) = judge.json {
            for (key, value) in fields { attributes["shipctl.judge.\(key)"] = value }
        }
        return attributes
    }
}
