import Foundation

/// Checks metrics against `max`, `min` and `max_ratio_to_baseline`; the
/// baseline is the same query with `{{canary}}` replaced by the stable version.
public struct MetricEvaluator: Sendable {
    public let source: any MetricSource

    public init(source: any MetricSource) {
        self.source = source
    }

    public func evaluate(_ metric: MetricConfig, canary: Placeholders, baseline: Placeholders) async -> MetricEvaluation
    {
        let query = metric.source.filled(canary)
        let threshold = Self.describeThreshold(metric)
        var evaluation = MetricEvaluation(
            metric: metric.name, query: query.display, value: nil, baseline: nil,
            threshold: threshold, verdict: .pass, reason: "within threshold", dryRun: metric.dryRun,
            limits: Self.limits(of: metric))
        switch await source.read(query) {
        case .inconclusive(let reason):
            evaluation.verdict = .inconclusive
            evaluation.reason = reason
            evaluation.answered = false
            return evaluation
        case .noData(let reason):
            evaluation.verdict = .inconclusive
            evaluation.reason = reason
            return evaluation
        case .value(let value):
            evaluation.value = value
        }
        let value = evaluation.value ?? .nan
        if let max = metric.max, value > max {
            evaluation.verdict = .fail
            evaluation.reason = "\(MetricEvaluation.format(value)) is above max \(MetricEvaluation.format(max))"
            return evaluation
        }
        if let min = metric.min, value < min {
            evaluation.verdict = .fail
            evaluation.reason = "\(MetricEvaluation.format(value)) is below min \(MetricEvaluation.format(min))"
            return evaluation
        }
        if let ratio = metric.maxRatioToBaseline {
            switch await source.read(metric.source.filled(baseline)) {
            case .inconclusive(let reason), .noData(let reason):
                evaluation.verdict = .inconclusive
                evaluation.reason = "baseline (stable version): \(reason)"
            case .value(let base):
                evaluation.baseline = base
                if base <= 0 {
                    evaluation.verdict = value <= 0 ? .pass : .inconclusive
                    evaluation.reason =
                        value <= 0 ? "canary and baseline are both 0" : "the baseline is 0, so no ratio can be formed"
                } else if value / base > ratio {
                    evaluation.verdict = .fail
                    evaluation.reason =
                        "\(MetricEvaluation.format(value / base))× the baseline is above \(MetricEvaluation.format(ratio))×"
                }
            }
        }
        return evaluation
    }

    /// A metric judged by counts: its `failures` and `total` read for the canary and for stable over
    /// `window` (the time since the canary first got traffic), folded into the canary's sequential
    /// test. Fails when the test rejects; waits for evidence until the canary has had enough requests.
    func judge(
        _ metric: MetricConfig, placeholders: Placeholders, window: String, ledger: JudgeLedger,
        config: JudgeConfig, evidence proving: Double? = nil, readsHistory: Bool = false
    ) async -> MetricEvaluation {
        let allowed = 1 + (metric.maxIncrease ?? 0)
        let canary = placeholders.values["canary"] ?? ""
        let stable = placeholders.values["stable"] ?? ""
        func filled(_ query: MetricQuery, _ version: String) -> MetricQuery {
            query.filled(Placeholders(placeholders.values.merging(["version": version, "window": window]) { $1 }))
        }
        // Shown is the canary's failures query as read, so the record says what was asked.
        var evaluation = MetricEvaluation(
            metric: metric.name, query: filled(metric.source, canary).display, value: nil, baseline: nil,
            threshold: "\(Self.describeThreshold(metric)) at \(JudgeEvidence.percent(config.confidence))",
            verdict: .pass, reason: "no worse than allowed", dryRun: metric.dryRun, limits: Self.limits(of: metric))
        guard let total = metric.total else { return evaluation }
        let queries = [
            filled(metric.source, canary), filled(total, canary), filled(metric.source, stable), filled(total, stable),
        ]
        let names = ["canary failures", "canary total", "stable failures", "stable total"]
        let raw = metric.source.backend.readsRawCounters && total.backend.readsRawCounters
        let counted =
            raw
            ? await rawCounts(queries, names: names, metric: metric.name, ledger: ledger, window: window)
            : await windowCounts(queries, names: names, window: window)
        let counts: [Double]
        switch counted {
        case .success(let read): counts = read
        case .failure(let problem):
            evaluation.verdict = .inconclusive
            evaluation.reason = problem.message
            evaluation.answered = false
            return evaluation
        }
        // Raw counters and queries over `{{window}}` read as separate minutes; a CloudWatch range repeats its
        // latest datapoint where one is late, and a piece counted twice would overstate what the history shows.
        if readsHistory, config.history >= .seconds(60), !ledger.hasHistory(metric.name),
            raw || metric.source.display.contains("{{window}}"), let since = ledger.startedAt
        {
            // Each piece is a minute: raw counters read at each minute's end and differenced, or the queries with
            // `{{window}}` a minute long.
            func minute(_ query: MetricQuery) -> MetricQuery {
                query.filled(Placeholders(placeholders.values.merging(["version": stable, "window": "60s"]) { $1 }))
            }
            ledger.keep(
                history: await stableHistory(
                    failures: minute(metric.source), total: minute(total), before: since, over: config.history,
                    raw: raw),
                for: metric.name)
        }
        let test = ledger.observe(
            metric.name,
            cumulative: .init(
                canaryRequests: counts[1], canaryFailures: counts[0], stableRequests: counts[3],
                stableFailures: counts[2]),
            allowedRatio: allowed, confidence: config.confidence, advanceConfidence: config.advanceConfidence)
        let needed = config.requiredRequests(allowedRatio: allowed, stableRate: test.stableRate)
        let evidence = JudgeEvidence(
            canaryRequests: test.total.canaryRequests, canaryFailures: test.total.canaryFailures,
            stableRequests: test.total.stableRequests, stableFailures: test.total.stableFailures,
            lowerBound: test.lowerBound, allowedRatio: allowed, confidence: config.confidence,
            evidence: test.evidence, threshold: test.threshold, minRequests: needed)
        evaluation.judge =
            proving.map {
                evidence.proving($0, upperBound: test.upperBound, at: config.advanceConfidence).joining(test.history)
            } ?? evidence
        evaluation.value = test.canaryRate
        evaluation.baseline = test.stableRate
        if test.rejects {
            evaluation.verdict = .fail
            evaluation.reason =
                "the canary fails more than \(MetricEvaluation.format(allowed))× as often as stable, at \(JudgeEvidence.percent(config.confidence))"
        } else if test.total.stableRequests == 0 {
            // Nothing to compare with is no evidence that the canary is as good: never a pass.
            evaluation.verdict = .waiting
            evaluation.reason =
                "stable has served no counted request since the canary started: the canary cannot be compared "
                + "with it yet (check that the stable version's series match the query)"
        } else if let proving {
            let bound = evaluation.judge?.upperBound.map(MetricEvaluation.format) ?? "not bounded yet"
            let shown = "the canary fails less than \(MetricEvaluation.format(proving))× as often as stable"
            if test.provesBelow(proving) {
                evaluation.verdict = .proven
                evaluation.reason = "\(shown), at \(JudgeEvidence.percent(config.advanceConfidence)) (ratio < \(bound))"
            } else {
                evaluation.verdict = .waiting
                evaluation.reason =
                    "not yet shown that \(shown): the ratio is below \(bound) at "
                    + "\(JudgeEvidence.percent(config.advanceConfidence)), "
                    + "the step needs below \(MetricEvaluation.format(proving))"
                    + Self.timeLeft(
                        test: test, upperBound: evaluation.judge?.upperBound ?? .infinity, evidence: proving,
                        window: window)
            }
        } else if test.total.canaryRequests < Double(needed) {
            evaluation.verdict = .waiting
            evaluation.reason = Self.waitingReason(
                have: test.total.canaryRequests, needed: needed, window: window, allowed: allowed,
                stableRate: test.stableRate, config: config)
        }
        if evaluation.verdict != .fail, let broken = Self.brokenLimit(metric, test: test, confidence: config.confidence)
        {
            evaluation.verdict = .fail
            evaluation.reason = broken
        }
        return evaluation
    }

    /// The four counts over `window`, each query summing its own (`increase(…[{{window}}])`, CloudWatch sums).
    private func windowCounts(_ queries: [MetricQuery], names: [String], window: String) async
        -> Result<[Double], MetricBackendProblem>
    {
        let readings = await Self.inParallel(queries) { await source.read($0) }
        var counts: [Double] = []
        for (index, reading) in readings.enumerated() {
            switch reading {
            case .value(let value): counts.append(value)
            // No series yet: that version has served no request in the window.
            case .noData: counts.append(0)
            case .inconclusive(let reason): return .failure(MetricBackendProblem(message: "\(names[index]): \(reason)"))
            }
        }
        // A count no service could have reached in the window (a counter that wrapped at 2^64, an exporter's
        // garbage) is left out: kept, it would be the ledger's high-water mark and hide every later count.
        if let index = counts.indices.first(where: { !Self.isPossible(counts[$0], in: window) }) {
            return .failure(Self.impossible(names[index], counts[index], in: window))
        }
        return .success(counts)
    }

    /// The four counts since the canary's start from raw counters: read as they stood then (once) and now,
    /// differenced series by series in the ledger's tallies.
    private func rawCounts(
        _ queries: [MetricQuery], names: [String], metric: String, ledger: JudgeLedger, window: String
    ) async -> Result<[Double], MetricBackendProblem> {
        func snapshots(asOf instant: Date?, _ what: String) async -> Result<[[String: Double]], MetricBackendProblem> {
            var read: [[String: Double]] = []
            for (index, reading) in await Self.inParallel(queries, { await source.readSeries($0, asOf: instant) })
                .enumerated()
            {
                switch reading {
                case .series(let series): read.append(series)
                case .inconclusive(let reason):
                    return .failure(MetricBackendProblem(message: "\(names[index])\(what): \(reason)"))
                }
            }
            return .success(read)
        }
        if !ledger.hasBaseline(metric), let since = ledger.startedAt {
            switch await snapshots(asOf: since, " at the canary's start") {
            case .success(let baseline): ledger.keep(baseline: baseline, for: metric)
            case .failure(let problem): return .failure(problem)
            }
        }
        let now: [[String: Double]]
        switch await snapshots(asOf: nil, "") {
        case .success(let read): now = read
        case .failure(let problem): return .failure(problem)
        }
        var refused: (name: String, count: Double)?
        let rises = ledger.tally(metric, now) { rises in
            refused = rises.indices.first { !Self.isPossible(rises[$0], in: window) }.map { (names[$0], rises[$0]) }
            return refused == nil
        }
        if let refused { return .failure(Self.impossible(refused.name, refused.count, in: window)) }
        guard let rises else {
            return .failure(MetricBackendProblem(message: "the counters were not read at the canary's start yet"))
        }
        return .success(rises)
    }

    /// A count query's total over the `span` that ends now (`plan`'s forecast, `doctor`'s probe): raw counters
    /// read as they stood `span` ago and now and differenced series by series, or a query over `{{window}}`
    /// read once with the window that long. `query` is as configured: whether it names raw counters is read
    /// before its placeholders are filled.
    func count(_ query: MetricQuery, placeholders: Placeholders, over span: Duration, now: Date) async -> MetricReading
    {
        let seconds = max(1, Int(span.timeInterval.rounded()))
        let filled = query.filled(Placeholders(placeholders.values.merging(["window": "\(seconds)s"]) { $1 }))
        guard query.backend.readsRawCounters else { return await source.read(filled) }
        async let then = source.readSeries(filled, asOf: now.addingTimeInterval(-Double(seconds)))
        async let current = source.readSeries(filled, asOf: nil)
        switch (await then, await current) {
        case (.inconclusive(let reason), _), (_, .inconclusive(let reason)):
            return .inconclusive(reason)
        case (.series(let before), .series(let after)):
            guard !after.isEmpty else { return .noData("the query returned no series") }
            var tally = CounterTally(baseline: before)
            tally.add(after)
            return .value(tally.increase)
        }
    }

    /// Reads every query at once; the answers in the queries' order.
    private static func inParallel<Answer: Sendable>(
        _ queries: [MetricQuery], _ read: @escaping @Sendable (MetricQuery) async -> Answer
    ) async -> [Answer] {
        await withTaskGroup(of: (Int, Answer).self) { group in
            for (index, query) in queries.enumerated() { group.addTask { (index, await read(query)) } }
            var collected: [(Int, Answer)] = []
            for await item in group { collected.append(item) }
            return collected.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    /// Whether a count could have been reached over `window` (`"Ns"`).
    private static func isPossible(_ count: Double, in window: String) -> Bool {
        guard let seconds = Double(window.dropLast()) else { return true }
        return count <= countCeiling(windowSeconds: seconds)
    }

    private static func impossible(_ name: String, _ count: Double, in window: String) -> MetricBackendProblem {
        MetricBackendProblem(
            message: "\(name) read \(MetricEvaluation.format(count)) in \(window), beyond any possible "
                + "rate (more than \(MetricEvaluation.format(maximumRate)) a second): a counter that wrapped or "
                + "an exporter's garbage; the reading is left out")
    }

    /// Why a judged metric's `max` or `min` is shown broken on the canary's counts at the confidence, if it is.
    static func brokenLimit(_ metric: MetricConfig, test: RateRatioTest, confidence: Double) -> String? {
        let (failures, requests) = (test.total.canaryFailures, test.total.canaryRequests)
        let rate = MetricEvaluation.format(test.canaryRate ?? 0)
        let shown =
            "\(MetricEvaluation.format(failures))/\(MetricEvaluation.format(requests)), "
            + "at \(JudgeEvidence.percent(confidence))"
        if let max = metric.max,
            RateLimitTest.breaks(max, above: true, failures: failures, requests: requests, confidence: confidence)
        {
            return "the canary's rate \(rate) is shown above max \(MetricEvaluation.format(max)) (\(shown))"
        }
        if let min = metric.min,
            RateLimitTest.breaks(min, above: false, failures: failures, requests: requests, confidence: confidence)
        {
            return "the canary's rate \(rate) is shown below min \(MetricEvaluation.format(min)) (\(shown))"
        }
        return nil
    }

    /// Stable's counts in each minute of `duration` before `since`, read as one range per query: raw counters
    /// sampled at each minute's end and differenced series by series, or each query's window a minute long; nil
    /// when the backend cannot read ranges or answered none.
    func stableHistory(
        failures: MetricQuery, total: MetricQuery, before since: Date, over duration: Duration, raw: Bool = false
    ) async -> StableHistory? {
        let piece = Duration.seconds(60)
        let minutes = Int(duration.timeInterval / piece.timeInterval)
        if raw {
            let times = (0...minutes).map { since.addingTimeInterval(Double($0 - minutes) * piece.timeInterval) }
            async let failing = source.readSeriesRange(failures, from: times[0], to: since, step: piece)
            async let serving = source.readSeriesRange(total, from: times[0], to: since, step: piece)
            guard case .series(let served) = await serving, !served.isEmpty,
                case .series(let failed) = await failing
            else { return nil }
            return StableHistory(
                pieces: zip(CounterTally.pieces(of: served, at: times), CounterTally.pieces(of: failed, at: times)).map
                {
                    StableHistory.Piece(requests: $0, failures: $1)
                })
        }
        let from = since.addingTimeInterval(-duration.timeInterval + piece.timeInterval)
        async let failed = source.readRange(failures, from: from, to: since, step: piece)
        async let served = source.readRange(total, from: from, to: since, step: piece)
        guard case .samples(let totals) = await served, !totals.isEmpty,
            case .samples(let failures) = await failed
        else { return nil }
        return StableHistory(
            pieces: totals.keys.sorted().map {
                StableHistory.Piece(requests: totals[$0] ?? 0, failures: failures[$0] ?? 0)
            })
    }

    /// About how much longer a step's evidence will take if the canary's traffic and both rates stay as they
    /// have been, said after a waiting reason. A bound of this kind narrows about as 1/√(counts) on the log scale,
    /// so the counts must grow by k = (ln(bound/ratio) / ln(N/ratio))² for it to fall below N; the time left is
    /// the time so far times k − 1. Empty when nothing can be said: no failure yet on either side, or a ratio so
    /// far at N or above (then no amount of traffic shows the evidence).
    /// `upperBound` is the test's, computed once by the caller (a bisection over the mixture).
    static func timeLeft(test: RateRatioTest, upperBound bound: Double, evidence: Double, window: String) -> String {
        guard let seconds = Double(window.dropLast()), seconds > 0, let canary = test.canaryRate,
            let stable = test.stableRate, canary > 0, stable > 0
        else { return "" }
        let ratio = canary / stable
        guard bound.isFinite, ratio < evidence, bound > evidence else {
            return ratio >= evidence
                ? "; at the rates so far (canary \(MetricEvaluation.format(ratio))× stable's) it will not be shown"
                : ""
        }
        let growth = pow(log(bound / ratio) / log(evidence / ratio), 2)
        let left = min(seconds * (growth - 1), 8_640_000)
        return "; at the canary's traffic and rates so far, about "
            + "\(DurationParser.format(.seconds(Int64(max(left, 1).rounded(.up))))) more"
    }

    /// More requests a second than any service judged by shipctl serves: a count above it is not a count.
    static let maximumRate = 1_000_000.0

    /// The highest count a window of `windowSeconds` can hold, with a minute's slack for scrapes and clocks.
    static func countCeiling(windowSeconds: Double) -> Double { maximumRate * (windowSeconds + 60) }

    /// How far the canary is from the sample it needs, how long that takes at its traffic so far, and,
    /// for `min_requests: auto`, why that many.
    static func waitingReason(
        have: Double, needed: Int, window: String, allowed: Double, stableRate: Double?, config: JudgeConfig
    ) -> String {
        var reason = "\(MetricEvaluation.format(have)) of the \(needed) canary requests needed"
        if case .auto = config.minRequests {
            reason +=
                " (min_requests auto: enough to catch a canary failing \(MetricEvaluation.format(2 * allowed))× as often as stable"
                + (stableRate.map { "'s \(JudgeEvidence.percent($0))" } ?? "")
                + " with power \(MetricEvaluation.format(config.power))"
                + " at \(JudgeEvidence.percent(config.confidence)))"
        }
        if let seconds = Double(window.dropLast()), seconds > 0, have > 0 {
            let perSecond = have / seconds
            let left = min((Double(needed) - have) / perSecond, 8_640_000)
            reason +=
                "; at \(String(format: "%.2g", perSecond)) a second, about \(DurationParser.format(.seconds(Int64(left.rounded(.up))))) more"
        }
        return reason
    }

    /// `judge: mann-whitney`: the query read for the canary and for stable (`{{version}}`), each value
    /// added to the samples so far, and the shift's interval compared with the allowed effect
    /// (`max_increase` × stable's median). Waits for evidence until each side has enough samples.
    func judgeShift(_ metric: MetricConfig, placeholders: Placeholders, ledger: JudgeLedger, config: JudgeConfig) async
        -> MetricEvaluation
    {
        let share = metric.maxIncrease ?? 0
        let canary = placeholders.values["canary"] ?? ""
        let stable = placeholders.values["stable"] ?? ""
        func filled(_ version: String) -> MetricQuery {
            metric.source.filled(
                Placeholders(placeholders.values.merging(["version": version, "canary": version]) { $1 }))
        }
        var evaluation = MetricEvaluation(
            metric: metric.name, query: filled(canary).display, value: nil, baseline: nil,
            threshold: "\(Self.describeThreshold(metric)) at \(JudgeEvidence.percent(config.confidence))",
            verdict: .pass, reason: "no shift beyond the allowed effect", dryRun: metric.dryRun,
            limits: Self.limits(of: metric))
        async let canaryReading = source.read(filled(canary))
        async let stableReading = source.read(filled(stable))
        var values: [Double] = []
        for (side, reading) in [("canary", await canaryReading), ("stable", await stableReading)] {
            switch reading {
            case .value(let value): values.append(value)
            case .inconclusive(let reason), .noData(let reason):
                evaluation.verdict = .inconclusive
                evaluation.reason = "\(side): \(reason)"
                if case .inconclusive = reading { evaluation.answered = false }
                return evaluation
            }
        }
        let samples = ledger.sample(metric.name, canary: values[0], stable: values[1])
        evaluation.value = values[0]
        evaluation.baseline = values[1]
        // The test is run again at every evaluation: the k-th look spends (1 − confidence)·6/(π²k²) of the error
        // allowed, which sums to 1 − confidence over every look there will ever be (a union bound), so looking
        // often does not add false reverts as rerunning a fixed-sample test at full confidence does.
        let look = Double(max(1, min(samples.canary.count, samples.stable.count) - MannWhitneyShift.minimumSamples + 1))
        let perLook = 1 - (1 - config.confidence) * 6 / (Double.pi * Double.pi * look * look)
        guard
            let shift = MannWhitneyShift.compare(canary: samples.canary, stable: samples.stable, confidence: perLook)
        else {
            evaluation.verdict = .waiting
            evaluation.reason = "no sample yet"
            return evaluation
        }
        evaluation.shift = shift
        let allowed = share * abs(shift.stableMedian)
        if min(shift.canaryCount, shift.stableCount) < MannWhitneyShift.minimumSamples {
            evaluation.verdict = .waiting
            evaluation.reason =
                "\(min(shift.canaryCount, shift.stableCount)) of the \(MannWhitneyShift.minimumSamples) samples each side needs"
        } else if shift.exceeds(allowed, direction: metric.direction) {
            evaluation.verdict = .fail
            evaluation.reason =
                "the canary's values moved beyond the allowed \(MetricEvaluation.format(allowed)) from stable's, at "
                + "\(JudgeEvidence.percent(config.confidence)) over every look "
                + "(this look at \(JudgeEvidence.percent(perLook)))"
        }
        return evaluation
    }

    static func limits(of metric: MetricConfig) -> [String: Double] {
        var limits: [String: Double] = [:]
        limits["max"] = metric.max
        limits["min"] = metric.min
        limits["max_ratio_to_baseline"] = metric.maxRatioToBaseline
        return limits
    }

    static func describeThreshold(_ metric: MetricConfig) -> String {
        var parts: [String] = []
        if let increase = metric.maxIncrease, metric.total != nil {
            parts.append("failure rate at most \(MetricEvaluation.format(1 + increase))× stable's")
        }
        if let increase = metric.maxIncrease, metric.mannWhitney {
            parts.append(
                "\(metric.direction.rawValue) of at most \(JudgeEvidence.percent(increase)) of stable's median")
        }
        if let max = metric.max { parts.append("max \(MetricEvaluation.format(max))") }
        if let min = metric.min { parts.append("min \(MetricEvaluation.format(min))") }
        if let ratio = metric.maxRatioToBaseline { parts.append("max \(MetricEvaluation.format(ratio))× baseline") }
        return parts.joined(separator: ", ")
    }
}
