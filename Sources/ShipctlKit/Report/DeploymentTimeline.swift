import Foundation

/// One deployment as read back from its audit records: what the report and its
/// JSON show. Built only from the log, so a report tells what was recorded,
/// not what the configuration says today.
public struct DeploymentTimeline: Sendable {
    public struct WeightPoint: Sendable {
        public var at: Date
        /// The new version's share of traffic, 0–100.
        public var weight: Double
    }

    public struct MetricPoint: Sendable {
        public var at: Date
        public var value: Double?
        public var baseline: Double?
        public var verdict: String
        public var reason: String
        public var confirming: Bool
        /// For a metric judged against stable: the counts and the bound, in words.
        public var evidence: String? = nil
    }

    public struct MetricSeries: Sendable {
        public var name: String
        public var query: String
        public var threshold: String
        public var limits: [String: Double]
        public var points: [MetricPoint]

        /// The failing evaluations: the points a reader looks for first.
        public var failures: [MetricPoint] { points.filter { $0.verdict == "fail" } }
    }

    public struct SmokeResult: Sendable {
        public var at: Date
        public var step: String
        public var test: String
        public var passed: Bool
        public var detail: String
    }

    public var deployment: String
    public var service: String
    public var env: String
    /// promote, rollback or preview.
    public var kind: String
    public var outcome: String
    public var stable: String?
    public var canary: String?
    public var started: Date?
    public var finished: Date?
    public var actor: String
    public var weights: [WeightPoint] = []
    public var metrics: [MetricSeries] = []
    public var smoke: [SmokeResult] = []
    public var records: [AuditRecord]

    /// Nil when there are no records.
    public init?(records: [AuditRecord]) {
        guard let first = records.first else { return nil }
        self.records = records
        deployment = first.deployment
        service = first.service
        env = first.env
        actor = first.actor
        started = Timestamp.parse(first.ts)
        finished = records.last.flatMap { Timestamp.parse($0.ts) }
        kind = Self.kind(of: records)
        outcome =
            records.last { $0.action == AuditAction.deploymentFinish }?.outcome
            ?? records.last { $0.action == AuditAction.rollback && $0.phase == .result }?.outcome.map {
                $0 == "ok" ? "rolled-back" : $0
            }
            ?? records.last { $0.phase == .result }?.outcome
            ?? "unfinished"
        if let start = records.first(where: { $0.action == AuditAction.deploymentStart }) {
            stable = start.args["stable"]?.stringValue
            canary = start.args["canary"]?.stringValue
        }
        var seriesIndex: [String: Int] = [:]
        for record in records {
            guard let at = Timestamp.parse(record.ts) else { continue }
            switch record.action {
            case AuditAction.deploymentStart where kind == "promote":
                weights.append(WeightPoint(at: at, weight: 0))
            case AuditAction.trafficShift where record.phase == .result && record.outcome == "ok":
                if let weight = record.args["weight"]?.doubleValue {
                    weights.append(WeightPoint(at: at, weight: weight))
                }
            case AuditAction.trafficComplete where record.phase == .result && record.outcome == "ok":
                weights.append(WeightPoint(at: at, weight: 100))
            case AuditAction.trafficRevert where record.phase == .result && record.outcome == "ok":
                weights.append(WeightPoint(at: at, weight: 0))
            case AuditAction.smoke:
                smoke.append(
                    SmokeResult(
                        at: at, step: record.step, test: record.args["test"]?.stringValue ?? "?",
                        passed: record.outcome == "pass", detail: record.args["detail"]?.stringValue ?? ""))
            case AuditAction.analysis:
                let name = record.args["metric"]?.stringValue ?? "?"
                let point = MetricPoint(
                    at: at, value: record.args["value"]?.doubleValue, baseline: record.args["baseline"]?.doubleValue,
                    verdict: record.outcome ?? record.args["verdict"]?.stringValue ?? "?",
                    reason: record.args["reason"]?.stringValue ?? "",
                    confirming: record.args["confirming"] == .bool(true),
                    evidence: record.args["judge"].flatMap(JudgeEvidence.init(json:))?.summary)
                if let index = seriesIndex[name] {
                    metrics[index].points.append(point)
                } else {
                    seriesIndex[name] = metrics.count
                    var limits: [String: Double] = [:]
                    if case .object(let fields)? = record.args["limits"] {
                        for (key, value) in fields { limits[key] = value.doubleValue }
                    }
                    metrics.append(
                        MetricSeries(
                            name: name, query: record.args["query"]?.stringValue ?? "",
                            threshold: record.args["threshold"]?.stringValue ?? "", limits: limits, points: [point]))
                }
            default:
                break
            }
        }
    }

    /// The records of `deployment` (`latest`: the deployment of the newest record,
    /// of `service`/`env` when given) read from the store.
    public static func read(
        deployment: String, service: String? = nil, env: String? = nil,
        from store: any StateStore
    ) async throws(ShipctlError) -> DeploymentTimeline {
        var wanted = deployment == "latest" ? nil : deployment
        if wanted == nil {
            _ = try await store.scan { line in
                guard service == nil || line.field("service") == service, env == nil || line.field("env") == env,
                    let id = line.field("deployment"), !id.isEmpty
                else { return }
                wanted = id
            }
        }
        guard let wanted else {
            throw .usage(
                "the audit log holds no deployment\(service.map { " of \($0)" } ?? "")\(env.map { " in \($0)" } ?? "") yet",
                hint: "run `shipctl audit show` to see what it holds")
        }
        let records = try await store.records { $0.field("deployment") == wanted }
        guard let timeline = DeploymentTimeline(records: records) else {
            throw .usage(
                "no deployment \(wanted) in the audit log at \(store.location)",
                hint: "`shipctl audit show` lists every record with its deployment ID")
        }
        return timeline
    }

    static func kind(of records: [AuditRecord]) -> String {
        if records.contains(where: { $0.action == AuditAction.deploymentStart }) { return "promote" }
        if records.contains(where: { $0.action == AuditAction.rollback }) { return "rollback" }
        if records.contains(where: { $0.action.hasPrefix("preview.") }) { return "preview" }
        return "deployment"
    }

    /// The evaluation that decided a failed gate: the last failing point of any metric.
    public var decidingFailure: (metric: MetricSeries, point: MetricPoint)? {
        metrics.flatMap { series in series.failures.map { (series, $0) } }.max { $0.1.at < $1.1.at }
    }

    /// The new version's share of traffic at `date`.
    public func weight(at date: Date) -> Double {
        weights.last { $0.at <= date }?.weight ?? 0
    }

    /// One line for a terminal: what happened, and what decided it when a gate failed.
    public var summary: String {
        var text = "\(service)/\(env) \(deployment): \(kind) \(outcome)"
        if let canary { text += ", version \(canary) over \(stable ?? "?")" }
        text += ", \(records.count) records"
        if let failure = decidingFailure {
            let value = failure.point.value.map(MetricEvaluation.format) ?? "no value"
            text +=
                "; \(failure.metric.name) failed at \(value) (\(failure.metric.threshold)) with \(Percent.format(weight(at: failure.point.at)))% of traffic on the new version"
        }
        return text
    }

    /// The timeline as one JSON object, for `report --json`.
    public var json: JSONValue {
        let time = { (date: Date?) -> JSONValue in date.map { .string(Timestamp.format($0)) } ?? .null }
        return .object([
            "deployment": .string(deployment), "service": .string(service), "env": .string(env), "kind": .string(kind),
            "outcome": .string(outcome), "stable": stable.map(JSONValue.string) ?? .null,
            "canary": canary.map(JSONValue.string) ?? .null,
            "started": time(started), "finished": time(finished), "actor": .string(actor),
            "weights": .array(weights.map { .object(["at": time($0.at), "weight": .number($0.weight)]) }),
            "metrics": .array(
                metrics.map { series in
                    .object([
                        "name": .string(series.name), "query": .string(series.query),
                        "threshold": .string(series.threshold),
                        "limits": .object(series.limits.mapValues(JSONValue.number)),
                        "points": .array(
                            series.points.map { point in
                                .object([
                                    "at": time(point.at), "value": point.value.map(JSONValue.number) ?? .null,
                                    "baseline": point.baseline.map(JSONValue.number) ?? .null,
                                    "verdict": .string(point.verdict),
                                    "reason": .string(point.reason), "confirming": .bool(point.confirming),
                                ])
                            }),
                    ])
                }),
            "smoke": .array(
                smoke.map {
                    .object([
                        "at": time($0.at), "step": .string($0.step), "test": .string($0.test),
                        "passed": .bool($0.passed), "detail": .string($0.detail),
                    ])
                }),
            "records": .int(Int64(records.count)),
        ])
    }
}
