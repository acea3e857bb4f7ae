import Foundation

/// One self-contained HTML page for a deployment: the outcome first, then the
/// traffic weight over time, each metric against its threshold with the
/// failing points marked, the smoke results and every record. Inline CSS and
/// SVG only — no script, font or image from anywhere — so the page opens the
/// same from a CI artifact, an e-mail or a laptop with no network.
public enum HTMLReport {
    public static func render(_ timeline: DeploymentTimeline) -> String {
        let start = timeline.started ?? Date(timeIntervalSince1970: 0)
        let end = timeline.finished ?? start
        var body: [String] = [header(timeline, start: start, end: end)]
        if !timeline.weights.isEmpty { body.append(trafficSection(timeline, start: start, end: end)) }
        if !timeline.metrics.isEmpty { body.append(metricsSection(timeline, start: start, end: end)) }
        if !timeline.smoke.isEmpty { body.append(smokeSection(timeline, start: start)) }
        body.append(eventsSection(timeline, start: start))
        let title = "shipctl report: \(timeline.service)/\(timeline.env) \(timeline.outcome)"
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTMLText.escaped(title))</title>
            <style>\(style)</style>
            </head>
            <body>
            \(body.joined(separator: "\n"))
            </body>
            </html>

            """
    }

    static func header(_ timeline: DeploymentTimeline, start: Date, end: Date) -> String {
        let outcomeClass =
            ["succeeded": "good", "rolled-back": "bad", "failed": "bad", "cancelled": "bad"][timeline.outcome]
            ?? "neutral"
        var facts = ["\(timeline.kind) \(HTMLText.escaped(timeline.deployment))"]
        if let canary = timeline.canary {
            facts.append("version \(HTMLText.escaped(canary)) over \(HTMLText.escaped(timeline.stable ?? "?"))")
        }
        facts.append("started \(HTMLText.escaped(Timestamp.format(start)))")
        facts.append("took \(SVGChart.seconds(end.timeIntervalSince(start)))")
        facts.append("by \(HTMLText.escaped(timeline.actor))")
        var why = ""
        if let reason = timeline.records.first(where: { $0.action == AuditAction.trafficRevert && $0.phase == .intent }
        )?.args["reason"]?.stringValue {
            let weight =
                timeline.decidingFailure.map { failure in
                    " The new version held \(Percent.format(timeline.weight(at: failure.point.at)))% of traffic when \(HTMLText.escaped(failure.metric.name)) failed."
                } ?? ""
            why = "<p class=\"why\">Reverted: \(HTMLText.escaped(reason)).\(weight)</p>"
        }
        return """
            <header class="outcome \(outcomeClass)">
            <h1>\(HTMLText.escaped(timeline.service))/\(HTMLText.escaped(timeline.env)): <span class="verdict">\(HTMLText.escaped(timeline.outcome))</span></h1>
            <p>\(facts.joined(separator: " · "))</p>
            \(why)
            </header>
            """
    }

    static func trafficSection(_ timeline: DeploymentTimeline, start: Date, end: Date) -> String {
        let chart = SVGChart(start: start, end: end, low: 0, high: 100)
        let points = timeline.weights.map { ($0.at, $0.weight) }
        let marks =
            [chart.stepLine(points, className: "weight")]
            + timeline.weights.map {
                chart.dot(
                    $0.at, $0.weight, className: "weight-dot",
                    title: "\(Timestamp.format($0.at)): \(Percent.format($0.weight))%")
            }
        let steps = timeline.weights.map {
            "+\(SVGChart.seconds($0.at.timeIntervalSince(start))) → \(Percent.format($0.weight))%"
        }.joined(separator: ", ")
        return """
            <section>
            <h2>Traffic on version \(HTMLText.escaped(timeline.canary ?? "?"))</h2>
            \(chart.svg(label: "traffic weight over time", valueFormat: { "\(Percent.format($0))%" }, marks: marks))
            <p class="note">\(HTMLText.escaped(steps))</p>
            </section>
            """
    }

    static func metricsSection(_ timeline: DeploymentTimeline, start: Date, end: Date) -> String {
        var out = ["<section>", "<h2>Metrics</h2>"]
        for series in timeline.metrics {
            out.append(metric(series, start: start, end: end))
        }
        out.append("</section>")
        return out.joined(separator: "\n")
    }

    static func metric(_ series: DeploymentTimeline.MetricSeries, start: Date, end: Date) -> String {
        let values = series.points.flatMap { point in
            [point.value, point.baseline, ratioLimit(series, point)].compactMap { $0 }
        }.filter(\.isFinite)
        let limits = [series.limits["max"], series.limits["min"]].compactMap { $0 }.filter(\.isFinite)
        let everything = values + limits
        let low = min(everything.min() ?? 0, 0)
        let top = everything.max() ?? 1
        let chart = SVGChart(start: start, end: end, low: low, high: top > low ? top * 1.1 : low + 1)
        var marks: [String] = []
        if let max = series.limits["max"] {
            marks.append(chart.horizontal(max, className: "limit", title: "max \(MetricEvaluation.format(max))"))
        }
        if let min = series.limits["min"] {
            marks.append(chart.horizontal(min, className: "limit", title: "min \(MetricEvaluation.format(min))"))
        }
        let baselines = series.points.compactMap { point in point.baseline.map { (point.at, $0) } }
        marks.append(chart.line(baselines, className: "baseline"))
        let ratioLimits = series.points.compactMap { point in ratioLimit(series, point).map { (point.at, $0) } }
        marks.append(chart.line(ratioLimits, className: "limit-line"))
        let measured = series.points.compactMap { point in point.value.map { (point.at, $0) } }
        marks.append(chart.line(measured, className: "value"))
        for point in series.points {
            let offset = "+\(SVGChart.seconds(point.at.timeIntervalSince(start)))"
            if let value = point.value {
                // A verdict is read from the log: only those the stylesheet knows become a class.
                let verdictClass = Self.verdictClasses[point.verdict] ?? "unknown"
                let evidence = point.evidence.map { " (\($0))" } ?? ""
                marks.append(
                    chart.dot(
                        point.at, value, className: verdictClass,
                        title:
                            "\(offset): \(MetricEvaluation.format(value)) — \(point.verdict)\(point.confirming ? " (confirming)" : ""): \(point.reason)\(evidence)"
                    ))
            } else {
                marks.append(
                    chart.dot(
                        point.at, chart.low, className: "inconclusive", title: "\(offset): no value — \(point.reason)"))
            }
        }
        let counts = [
            "pass", "proven", "fail", "inconclusive", "waiting for evidence", "insufficient evidence", "ceiling",
        ]
        .compactMap {
            verdict in
            let count = series.points.filter { $0.verdict == verdict }.count
            return count > 0 || verdict == "pass" || verdict == "fail" ? "\(count) \(verdict)" : nil
        }
        var failures = ""
        if !series.failures.isEmpty {
            let items = series.failures.map { point in
                "<li>+\(SVGChart.seconds(point.at.timeIntervalSince(start))): <strong>\(point.value.map(MetricEvaluation.format) ?? "no value")</strong> against \(HTMLText.escaped(series.threshold))\(point.confirming ? " (confirming)" : "") — \(HTMLText.escaped(point.reason))"
                    + (point.evidence.map { "<br><span class=\"evidence\">\(HTMLText.escaped($0))</span>" } ?? "")
                    + "</li>"
            }
            failures = "<ul class=\"failures\">\(items.joined())</ul>"
        }
        return """
            <article class="metric">
            <h3>\(HTMLText.escaped(series.name)) <span class="threshold">\(HTMLText.escaped(series.threshold))</span></h3>
            <p class="query"><code>\(HTMLText.escaped(series.query))</code></p>
            \(chart.svg(label: "\(series.name) against \(series.threshold)", valueFormat: MetricEvaluation.format, marks: marks))
            <p class="note">\(series.points.count) evaluations: \(counts.joined(separator: ", "))</p>
            \(failures)
            </article>
            """
    }

    /// For a ratio gate, the value the canary had to stay under at this point.
    static func ratioLimit(_ series: DeploymentTimeline.MetricSeries, _ point: DeploymentTimeline.MetricPoint)
        -> Double?
    {
        guard let ratio = series.limits["max_ratio_to_baseline"], let baseline = point.baseline else { return nil }
        let limit = ratio * baseline
        return limit.isFinite ? limit : nil
    }

    static func smokeSection(_ timeline: DeploymentTimeline, start: Date) -> String {
        let rows = timeline.smoke.map { result in
            "<tr class=\"\(result.passed ? "pass" : "fail")\"><td>+\(SVGChart.seconds(result.at.timeIntervalSince(start)))</td><td>\(HTMLText.escaped(result.step))</td><td>\(HTMLText.escaped(result.test))</td><td>\(result.passed ? "pass" : "FAIL")</td><td>\(HTMLText.escaped(result.detail))</td></tr>"
        }
        return table(title: "Smoke tests", columns: ["time", "step", "test", "result", "detail"], rows: rows)
    }

    static func eventsSection(_ timeline: DeploymentTimeline, start: Date) -> String {
        let rows = timeline.records.map { record in
            let at = Timestamp.parse(record.ts).map { "+" + SVGChart.seconds($0.timeIntervalSince(start)) } ?? "?"
            // Outcomes are read from the log: only the two the stylesheet marks become a class.
            let rowClass = ["fail", "failed"].contains(record.outcome ?? "") ? record.outcome ?? "" : "other"
            return
                "<tr class=\"\(rowClass)\"><td>\(record.seq)</td><td title=\"\(HTMLText.escaped(record.ts))\">\(at)</td><td>\(HTMLText.escaped(record.step))</td><td>\(HTMLText.escaped(record.action))</td><td>\(record.phase.rawValue)</td><td>\(HTMLText.escaped(record.outcome ?? ""))</td><td>\(HTMLText.escaped(details(record)))</td></tr>"
        }
        return table(
            title: "Every event (\(timeline.records.count))",
            columns: ["seq", "time", "step", "action", "phase", "outcome", "details"], rows: rows)
    }

    /// What a record says, in a line: an evaluation as value against threshold with its resolved query.
    static func details(_ record: AuditRecord) -> String {
        if record.action == AuditAction.analysis {
            let value = record.args["value"]?.doubleValue.map(MetricEvaluation.format) ?? "no value"
            let metric = record.args["metric"]?.stringValue ?? "?"
            let threshold = record.args["threshold"]?.stringValue ?? ""
            let reason = record.args["reason"]?.stringValue ?? ""
            return "\(metric) = \(value) (\(threshold)) — \(reason); query: \(record.args["query"]?.stringValue ?? "")"
        }
        let text = record.args.isEmpty ? "" : JSONValue.object(record.args).canonical
        return text.count > 600 ? String(text.prefix(600)) + "…" : text
    }

    static func table(title: String, columns: [String], rows: [String]) -> String {
        """
        <section>
        <h2>\(HTMLText.escaped(title))</h2>
        <div class="scroll"><table>
        <thead><tr>\(columns.map { "<th>\($0)</th>" }.joined())</tr></thead>
        <tbody>
        \(rows.joined(separator: "\n"))
        </tbody>
        </table></div>
        </section>
        """
    }

    /// The verdicts the stylesheet draws, and their class names.
    static let verdictClasses = [
        "pass": "pass", "proven": "pass", "fail": "fail", "inconclusive": "inconclusive",
        "waiting for evidence": "waiting", "insufficient evidence": "insufficient", "ceiling": "insufficient",
    ]

    static let style = """
        body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d232a; background: #fff; margin: 0 auto; max-width: 1040px; padding: 16px; }
        h1 { font-size: 1.5em; margin: 0 0 4px; } h2 { font-size: 1.15em; margin: 24px 0 8px; } h3 { font-size: 1em; margin: 16px 0 4px; }
        .outcome { border-left: 8px solid #888; background: #f4f5f7; padding: 12px 16px; }
        .outcome.good { border-color: #1e8e3e; } .outcome.bad { border-color: #c5221f; background: #fdf0ef; }
        .outcome.bad .verdict { color: #c5221f; } .outcome.good .verdict { color: #1e8e3e; }
        .why { font-weight: 600; }
        .chart { width: 100%; height: auto; max-width: 720px; display: block; }
        .chart .grid { stroke: #e3e6ea; } .chart .frame { stroke: #8a939c; }
        .chart .axis { font-size: 11px; fill: #5f6873; }
        .chart .weight { fill: none; stroke: #1a73e8; stroke-width: 2.5; } .chart .weight-dot { fill: #1a73e8; }
        .chart .value { fill: none; stroke: #3c4043; stroke-width: 1.5; }
        .chart .baseline { fill: none; stroke: #9aa0a6; stroke-dasharray: 2 3; }
        .chart .limit, .chart .limit-line { fill: none; stroke: #c5221f; stroke-width: 1.5; stroke-dasharray: 6 4; }
        .chart circle.pass { fill: #1e8e3e; } .chart circle.fail { fill: #c5221f; r: 6px; } .chart circle.inconclusive { fill: #9aa0a6; }
        .chart circle.waiting { fill: #fbbc04; } .chart circle.insufficient { fill: #e37400; } .evidence { color: #5f6873; }
        .threshold { font-weight: normal; color: #5f6873; }
        .query code { font-size: 0.85em; word-break: break-all; background: #f4f5f7; padding: 2px 4px; }
        .note { color: #5f6873; font-size: 0.9em; } .failures { color: #c5221f; }
        .scroll { overflow-x: auto; }
        table { border-collapse: collapse; width: 100%; font-size: 0.85em; }
        th, td { text-align: left; vertical-align: top; border-bottom: 1px solid #e3e6ea; padding: 4px 6px; }
        td:last-child { word-break: break-word; }
        td:not(:last-child) { white-space: nowrap; }
        tr.fail td, tr.failed td { background: #fdf0ef; }
        @media (max-width: 600px) { body { padding: 8px; font-size: 14px; } th:nth-child(5), td:nth-child(5) { display: none; } }
        @media print { body { max-width: none; } .scroll { overflow: visible; } .outcome { break-inside: avoid; } article, svg { break-inside: avoid; } }
        """
}

extension HTMLReport {
    /// Renders the page and puts it at `path` whole or not at all (a reader never
    /// opens half a report), with every known secret masked first.
    public static func write(_ timeline: DeploymentTimeline, to path: String, redactor: Redactor) throws(ShipctlError) {
        let page = redactor.redact(render(timeline))
        do {
            try Data(page.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .runtime(
                "cannot write the report to \(path): \(error.localizedDescription)",
                hint: "name a file in a folder that exists and that you can write to")
        }
    }
}
