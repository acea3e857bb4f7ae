import Foundation

/// Whether each gate of a service can be judged right now: its query, asked for the stable version,
/// returns data — the condition for a canary's first evaluation to mean anything.
enum GateProbe {
    /// How far back a judged metric's `{{window}}` reaches for the check.
    static let window = "5m"
    static let span: Duration = .seconds(300)

    static func check(
        _ metric: MetricConfig, service: ServiceConfig, env: EnvironmentConfig, stable: String?,
        source: any MetricSource
    ) async -> DoctorCheck {
        let subject = "gate \(metric.name)"
        guard let stable else {
            return DoctorCheck(
                subject, .notProbed, "not asked: the stable version is unknown (the split is unreadable)")
        }
        let placeholders = Placeholders.deployment(service: service, env: env, canary: stable, stable: stable)
        let filled = Placeholders(placeholders.values.merging(["version": stable, "window": window]) { $1 })
        // A judged metric counts requests: its total must see stable's; failures may rightly be none.
        let configured = metric.isJudged ? metric.total ?? metric.source : metric.source
        let query = configured.filled(filled)
        let shown = "`\(query.display)`"
        let reading =
            metric.total != nil
            ? await MetricEvaluator(source: source).count(
                configured, placeholders: filled, over: span, now: Date())
            : await source.read(query)
        switch reading {
        case .inconclusive(let reason):
            return .failed(
                subject, "\(shown) could not be read: \(reason)",
                fix: type(of: query.backend).fix(unreadable: reason))
        case .noData:
            let why = await source.explainNoData(query) ?? "the query returned no series"
            return .failed(
                subject, "no data for stable version \(stable): \(why) — \(shown)",
                fix:
                    "make the query's metric and labels match the series the app exports (try it in Prometheus's own UI)"
            )
        case .value(let value) where metric.isJudged:
            guard value > 0 else {
                return .failed(
                    subject, "stable version \(stable) served no requests in the last \(window) — \(shown)",
                    fix: "send the service some traffic; the judge needs requests on stable to compare with")
            }
            return .ok(
                subject,
                "stable version \(stable): \(MetricEvaluation.format(value)) in the last \(window), judged \(MetricEvaluator.describeThreshold(metric))"
            )
        case .value:
            let evaluation = await MetricEvaluator(source: source).evaluate(
                metric, canary: placeholders, baseline: placeholders)
            let reading = "stable version \(stable) reads \(evaluation.value.map(MetricEvaluation.format) ?? "?")"
            guard evaluation.verdict != .fail else {
                return .failed(
                    subject, "\(reading): \(evaluation.reason), so a canary as good as stable would be reverted",
                    fix: "loosen the threshold, or judge the canary against stable (`max_increase:`)")
            }
            return .ok(subject, "\(reading) (\(evaluation.threshold))")
        }
    }
}
