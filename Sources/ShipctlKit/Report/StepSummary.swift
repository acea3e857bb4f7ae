import Foundation

/// A deployment in the GitHub Actions job summary: the outcome, a table of its
/// steps (weight, pause, how long it held, each metric's last value against its
/// threshold, smoke) that reads on its own, and a Mermaid chart of the weight and
/// the metric that decided over time. Built from the audit records like
/// `shipctl report`, so the summary and the report never disagree.
public enum StepSummary {
    /// Points on the chart; more would only make the summary larger, not clearer.
    static let chartPoints = 60
    /// Far past its limit is all a reader needs to see; higher would flatten the weight line.
    static let chartCeiling: Double = 300

    public static func markdown(_ timeline: DeploymentTimeline) -> String {
        let start = timeline.started ?? Date(timeIntervalSince1970: 0)
        var lines = [
            "### shipctl: \(MarkdownText.cell(timeline.service))/\(MarkdownText.cell(timeline.env)) \(icon(timeline.outcome)) \(MarkdownText.cell(timeline.outcome))",
            "",
        ]
        var facts = ["\(timeline.kind) `\(timeline.deployment.filter { $0.isLetter || $0.isNumber || $0 == "-" })`"]
        if let canary = timeline.canary {
            facts.append("version \(MarkdownText.cell(canary)) over \(MarkdownText.cell(timeline.stable ?? "?"))")
        }
        if let finished = timeline.finished {
            facts.append("took \(SVGChart.seconds(finished.timeIntervalSince(start)))")
        }
        facts.append("by \(MarkdownText.cell(timeline.actor))")
        lines.append(facts.joined(separator: " · "))
        if let reason = timeline.records.last(where: { $0.action == AuditAction.trafficRevert && $0.phase == .intent })?
            .args["reason"]?.stringValue
        {
            lines += ["", "**Reverted:** \(MarkdownText.cell(reason, limit: 400))"]
        }
        let steps = stepRows(timeline, start: start)
        if !steps.isEmpty { lines += [""] + steps }
        if let chart = chart(timeline, start: start) { lines += ["", chart] }
        return lines.joined(separator: "\n") + "\n"
    }

    static func icon(_ verdict: String) -> String {
        switch verdict {
        case "succeeded", "pass", "ok", "proven": return "✅"
        case "fail", "failed", "rolled-back", "cancelled": return "❌"
        case "inconclusive", "insufficient evidence", "ceiling": return "⚠️"
        case "waiting for evidence": return "⏳"
        default: return "•"
        }
    }

    /// One row per step the deployment went through, in order, plus the revert if there was one.
    static func stepRows(_ timeline: DeploymentTimeline, start: Date) -> [String] {
        let stepActions: Set<String> = [
            AuditAction.trafficShift, AuditAction.trafficComplete, AuditAction.trafficRevert, AuditAction.analysis,
            AuditAction.smoke,
        ]
        var order: [String] = []
        var byStep: [String: [AuditRecord]] = [:]
        for record in timeline.records where stepActions.contains(record.action) {
            if byStep[record.step] == nil { order.append(record.step) }
            byStep[record.step, default: []].append(record)
        }
        guard !order.isEmpty else { return [] }
        let metrics = timeline.metrics
        var rows = [
            "| step | weight | pause | held | "
                + metrics.map { "\(MarkdownText.cell($0.name)) (\(MarkdownText.cell($0.threshold)))" }.joined(
                    separator: " | ")
                + (metrics.isEmpty ? "" : " | ") + "smoke |",
            "|" + String(repeating: "---|", count: 5 + metrics.count),
        ]
        for (position, step) in order.enumerated() {
            let records = byStep[step] ?? []
            let moved = records.last {
                [AuditAction.trafficShift, AuditAction.trafficComplete, AuditAction.trafficRevert].contains($0.action)
                    && $0.phase == .result
            }
            var weight = "–"
            if let moved {
                let percent =
                    moved.action == AuditAction.trafficComplete
                    ? 100 : (moved.action == AuditAction.trafficRevert ? 0 : moved.args["weight"]?.doubleValue ?? 0)
                weight =
                    moved.outcome == "ok"
                    ? "\(Percent.format(percent))%"
                    : "\(Percent.format(percent))% (\(MarkdownText.cell(moved.outcome ?? "?")))"
            }
            let pause = records.first { $0.action == AuditAction.trafficShift }?.args["pause"]?.stringValue ?? "–"
            let began = records.first.flatMap { Timestamp.parse($0.ts) }
            let next =
                position + 1 < order.count
                ? byStep[order[position + 1]]?.first.flatMap { Timestamp.parse($0.ts) } : timeline.finished
            let held = began.flatMap { began in next.map { SVGChart.seconds($0.timeIntervalSince(began)) } } ?? "–"
            var cells = [MarkdownText.cell(step), weight, MarkdownText.cell(pause), held]
            for series in metrics {
                let evaluations = records.filter {
                    $0.action == AuditAction.analysis && $0.args["metric"]?.stringValue == series.name
                }
                guard let last = evaluations.last else {
                    cells.append("–")
                    continue
                }
                let verdict = last.outcome ?? "?"
                let value = last.args["value"]?.doubleValue.map(MetricEvaluation.format) ?? "no value"
                let failed = evaluations.filter { $0.outcome == "fail" }.count
                // A judged metric's cell carries the evidence its last verdict rests on: the counts, both bounds,
                // and what became of stable's history.
                let evidence = last.args["judge"].flatMap(JudgeEvidence.init(json:)).map {
                    "<br>" + MarkdownText.cell($0.summary, limit: 400)
                }
                cells.append(
                    "\(icon(verdict)) \(value)" + (failed > 0 ? " (\(failed) of \(evaluations.count) failed)" : "")
                        + (evidence ?? ""))
            }
            let smoke = records.filter { $0.action == AuditAction.smoke }
            if smoke.isEmpty {
                cells.append("–")
            } else {
                let failing = smoke.filter { $0.outcome != "pass" }.compactMap { $0.args["test"]?.stringValue }
                cells.append(
                    failing.isEmpty
                        ? "✅ \(smoke.count) passed" : "❌ " + MarkdownText.cell(failing.joined(separator: ", ")))
            }
            rows.append("| " + cells.joined(separator: " | ") + " |")
        }
        return rows
    }

    /// The metric the chart follows: the one that decided, else the one that came closest to its limit.
    static func chartedMetric(_ timeline: DeploymentTimeline) -> DeploymentTimeline.MetricSeries? {
        if let deciding = timeline.decidingFailure { return deciding.metric }
        return timeline.metrics.max { (closeness($0) ?? -1) < (closeness($1) ?? -1) }
    }

    /// A value as a percentage of its limit (100 = at the threshold), when the metric has a fixed one.
    static func percentOfLimit(_ value: Double, _ series: DeploymentTimeline.MetricSeries, baseline: Double?) -> Double?
    {
        let limit =
            series.limits["max"] ?? series.limits["min"]
            ?? series.limits["max_ratio_to_baseline"].flatMap { ratio in baseline.map { ratio * $0 } }
        guard let limit, limit != 0, value.isFinite else { return nil }
        let percent = value / limit * 100
        return percent.isFinite ? min(max(percent, 0), chartCeiling) : nil
    }

    static func closeness(_ series: DeploymentTimeline.MetricSeries) -> Double? {
        series.points.compactMap { point in point.value.flatMap { percentOfLimit($0, series, baseline: point.baseline) }
        }.max()
    }

    /// `xychart-beta`: the weight in percent and the charted metric as a percentage of its limit, on one axis.
    static func chart(_ timeline: DeploymentTimeline, start: Date) -> String? {
        guard !timeline.weights.isEmpty else { return nil }
        let series = chartedMetric(timeline)
        var times = Set(timeline.weights.map(\.at))
        for point in series?.points ?? [] { times.insert(point.at) }
        if let finished = timeline.finished { times.insert(finished) }
        var sorted = times.sorted()
        if sorted.count > chartPoints {
            // Evenly spaced, keeping the failing evaluations: the points a reader looks for.
            let failing = Set(series?.failures.map(\.at) ?? [])
            let stride = Double(sorted.count - 1) / Double(chartPoints - 1)
            var kept = Set((0..<chartPoints).map { sorted[Int((Double($0) * stride).rounded())] })
            kept.formUnion(failing.prefix(chartPoints / 4))
            sorted = kept.sorted()
        }
        let labels = sorted.map { "\"+\(SVGChart.seconds($0.timeIntervalSince(start)))\"" }
        let weights = sorted.map { number(timeline.weight(at: $0)) }
        var lines = ["```mermaid", "xychart-beta"]
        var title = "Traffic on version \(timeline.canary ?? "?") (%)"
        var metricLine: [String] = []
        if let series {
            var last: Double = 0
            metricLine = sorted.map { time in
                if let point = series.points.last(where: { $0.at <= time }), let value = point.value,
                    let percent = percentOfLimit(value, series, baseline: point.baseline)
                {
                    last = percent
                }
                return number(last)
            }
            title += " and \(series.name) as % of its limit (100 = \(series.threshold))"
        }
        lines.append("  title \"\(mermaidText(title))\"")
        lines.append("  x-axis [\(labels.joined(separator: ", "))]")
        let top = max(100, (metricLine.compactMap(Double.init).max() ?? 0).rounded(.up))
        lines.append("  y-axis \"%\" 0 --> \(number(top))")
        lines.append("  line [\(weights.joined(separator: ", "))]")
        if !metricLine.isEmpty { lines.append("  line [\(metricLine.joined(separator: ", "))]") }
        lines.append("```")
        if let series {
            lines.append("")
            lines.append(
                "_First line: traffic on the new version; second line: \(MarkdownText.cell(series.name)) against its threshold (100; values past \(number(chartCeiling)) are drawn at \(number(chartCeiling)))._"
            )
        }
        return lines.joined(separator: "\n")
    }

    static func number(_ value: Double) -> String {
        guard value.isFinite, abs(value) < 1e12 else { return "0" }
        return value == value.rounded() ? String(Int64(value)) : String(format: "%.2f", value)
    }

    /// Text inside a quoted Mermaid string: no quote, backtick or line break that would end it.
    static func mermaidText(_ text: String) -> String {
        String(TerminalText.neutralised(text).map { $0 == "\"" || $0 == "`" ? "'" : $0 }.prefix(200))
    }
}
