import Foundation
import Yams

/// Walks the YAML tree section by section; `YAMLReader` does the typed reads.
struct ConfigParser {
    let reader: YAMLReader
    let path: String

    func parse(_ root: Node) -> ShipctlConfig? {
        guard
            let top = reader.mapping(
                root, key: "", allowed: ["version", "state", "environments", "services", "timeouts", "notify"],
                required: ["version", "environments", "services"])
        else { return nil }
        if let version = top["version"], let value = reader.int(version, key: "version", range: 1...1000), value != 1 {
            reader.report(version, "version", "this shipctl understands configuration version 1, got \(value)")
        }
        var stateDir = ".shipctl"
        var stateURL: DatabaseURL?
        if let state = top["state"], let entries = reader.mapping(state, key: "state", allowed: ["dir", "url"]) {
            if let dir = entries["dir"], let value = reader.name(dir, key: "state.dir", allowSlash: true) {
                stateDir = value
            }
            if let node = entries["url"], let text = reader.string(node, key: "state.url") {
                switch DatabaseURL.parse(text) {
                case .success(let url):
                    stateURL = url
                    if let password = url.password { reader.learnSecret(password) }
                case .failure(let error):
                    reader.report(node, "state.url", error.message)
                }
            }
        }
        var timeouts = Timeouts()
        if let node = top["timeouts"],
            let entries = reader.mapping(node, key: "timeouts", allowed: ["provider_call", "terraform", "rollback"])
        {
            if let value = entries["provider_call"].flatMap({
                reader.duration($0, key: "timeouts.provider_call", max: .seconds(3600), allowZero: false)
            }) {
                timeouts.providerCall = value
            }
            if let value = entries["terraform"].flatMap({
                reader.duration($0, key: "timeouts.terraform", max: .seconds(6 * 3600), allowZero: false)
            }) {
                timeouts.terraform = value
            }
            if let value = entries["rollback"].flatMap({
                reader.duration($0, key: "timeouts.rollback", max: .seconds(3600), allowZero: false)
            }) {
                timeouts.rollback = value
            }
        }
        let environments = parseEnvironments(top["environments"])
        let services = parseServices(top["services"], environments: environments)
        let notify = top["notify"].map { parseNotify($0, key: "notify") } ?? []
        guard reader.issues.isEmpty else { return nil }
        return ShipctlConfig(
            path: path, stateDir: stateDir, stateURL: stateURL, environments: environments, services: services,
            secrets: reader.secrets, timeouts: timeouts, notify: notify, warnings: reader.warnings)
    }

    private func parseEnvironments(_ node: Node?) -> [String: EnvironmentConfig] {
        guard let node, let entries = reader.namedEntries(node, key: "environments") else { return [:] }
        if entries.isEmpty {
            reader.report(node, "environments", "define at least one environment, e.g. `prod: { region: us-east-1 }`")
        }
        var result: [String: EnvironmentConfig] = [:]
        let endpoints = MetricBackends.all.compactMap { $0.endpoint?.key }
        for (name, keyNode, value) in entries {
            let key = "environments.\(name)"
            guard reader.checkedName(name, node: keyNode, key: key) != nil,
                let fields = reader.mapping(value, key: key, allowed: ["region"] + endpoints)
            else { continue }
            let region = fields["region"].flatMap { reader.name($0, key: "\(key).region") }
            var environment = EnvironmentConfig(name: name, region: region)
            for endpoint in endpoints {
                guard let given = fields[endpoint].flatMap({ parseEndpoint($0, key: "\(key).\(endpoint)") }) else {
                    continue
                }
                environment.metricEndpoints[endpoint] = given.url
                environment.metricAuth[endpoint] = given.auth
            }
            result[name] = environment
        }
        return result
    }

    private func parseServices(_ node: Node?, environments: [String: EnvironmentConfig]) -> [ServiceConfig] {
        guard let node, let entries = reader.namedEntries(node, key: "services") else { return [] }
        if entries.isEmpty { reader.report(node, "services", "define at least one service") }
        return entries.compactMap { name, keyNode, value in
            let key = "services.\(name)"
            guard reader.checkedName(name, node: keyNode, key: key) != nil else { return nil }
            return parseService(name: name, node: value, key: key, environments: environments)
        }
    }

    private func parseService(name: String, node: Node, key: String, environments: [String: EnvironmentConfig])
        -> ServiceConfig?
    {
        let kinds = ProviderKinds.all
        let allowed =
            ["provider", "terraform", "strategy", "smoke", "analysis", "on_failure", "preview", "notify"]
            + kinds.map { $0.kind }
        guard let fields = reader.mapping(node, key: key, allowed: allowed, required: ["provider"]) else { return nil }
        var kind: (any ProviderTarget.Type)?
        if let node = fields["provider"], let value = reader.string(node, key: "\(key).provider") {
            kind = kinds.first { $0.kind == value }
            if kind == nil {
                let near = YAMLReader.nearest(value, in: kinds.map { $0.kind }).map { " (did you mean `\($0)`?)" } ?? ""
                reader.report(
                    node, "\(key).provider",
                    "expected one of: \(kinds.map { $0.kind }.joined(separator: ", ")), got `\(value)`\(near)")
            }
        }
        var target: (any ProviderTarget)?
        // Every block given is read, so its own mistakes show up beside a wrong `provider:`.
        for block in kinds where fields[block.kind] != nil {
            let parsed = block.parse(
                ConfigEntry(reader: reader, node: node, key: key, kind: block.kind, fields: fields))
            if block.kind == kind?.kind {
                target = parsed
            } else if let kind, let blockNode = fields[block.kind] {
                reader.report(
                    blockNode, "\(key).\(block.kind)",
                    "`\(block.kind)` does not apply to a service with `provider: \(kind.kind)`")
            }
        }
        if let kind, fields[kind.kind] == nil {
            reader.report(node, "\(key).\(kind.kind)", "a \(kind.kind) service needs `\(kind.example)`")
        }
        let terraform = fields["terraform"].flatMap { parseTerraform($0, key: "\(key).terraform") }
        let steps =
            fields["strategy"].map { parseStrategy($0, key: "\(key).strategy") } ?? [
                CanaryStep(weight: 100, pause: .zero)
            ]
        let smoke = fields["smoke"].map { parseSmoke($0, key: "\(key).smoke") } ?? []
        let analysis = fields["analysis"].map { parseAnalysis($0, key: "\(key).analysis") } ?? .defaults
        if steps.contains(where: { $0.evidence != nil }),
            !analysis.metrics.contains(where: { $0.total != nil && !$0.dryRun })
        {
            reader.report(
                fields["strategy"], "\(key).strategy",
                "a step with `evidence` needs a metric judged by its counts under `analysis.metrics` (`failures` and "
                    + "`total` queries with `max_increase`): the evidence is the canary's failure rate against stable's"
            )
        }
        let onFailure = fields["on_failure"].map { parseOnFailure($0, key: "\(key).on_failure") } ?? .defaults
        let preview = fields["preview"].flatMap { parsePreview($0, key: "\(key).preview") }
        let notify = fields["notify"].map { parseNotify($0, key: "\(key).notify") } ?? []
        var needed: [String: MetricEndpoint] = [:]
        for metric in analysis.metrics {
            if let endpoint = type(of: metric.source.backend).endpoint { needed[endpoint.key] = endpoint }
        }
        for endpoint in needed.values.sorted(by: { $0.key < $1.key }) {
            for env in environments.values.sorted(by: { $0.name < $1.name })
            where env.metricEndpoints[endpoint.key] == nil {
                reader.report(
                    fields["analysis"], "environments.\(env.name).\(endpoint.key)",
                    "service \(name) has \(endpoint.name) metrics, so environment \(env.name) needs `\(endpoint.key): \(endpoint.example)`"
                )
            }
        }
        guard let target else { return nil }
        return ServiceConfig(
            name: name, target: target, terraform: terraform, steps: steps,
            smoke: smoke, analysis: analysis, onFailure: onFailure, preview: preview, notify: notify)
    }

    private func parsePreview(_ node: Node, key: String) -> PreviewConfig? {
        guard
            let fields = reader.mapping(
                node, key: key, allowed: ["terraform", "ttl", "secrets", "opt_out_label"], required: ["terraform"])
        else { return nil }
        let terraform = fields["terraform"].flatMap { parseTerraform($0, key: "\(key).terraform") }
        let ttl =
            fields["ttl"].map { reader.duration($0, key: "\(key).ttl", max: .seconds(90 * 86_400), allowZero: false) }
            ?? .seconds(72 * 3600)
        let optOutLabel = fields["opt_out_label"].map { reader.string($0, key: "\(key).opt_out_label") } ?? "no-preview"
        var secrets: [PreviewConfig.Secret] = []
        if let node = fields["secrets"], let items = reader.sequence(node, key: "\(key).secrets") {
            for (index, item) in items.enumerated() {
                let itemKey = "\(key).secrets[\(index)]"
                guard
                    let entry = reader.mapping(
                        item, key: itemKey, allowed: ["name", "token_budget"], required: ["name"])
                else { continue }
                let name = entry["name"].flatMap {
                    reader.name($0, key: "\(itemKey).name", allowSlash: true, placeholders: true)
                }
                let budget =
                    entry["token_budget"].map {
                        reader.int($0, key: "\(itemKey).token_budget", range: 0...1_000_000_000)
                    } ?? 0
                if let name, let budget { secrets.append(.init(name: name, tokenBudget: budget)) }
            }
        }
        if let terraform, !terraform.vars.contains(where: { $0.value.contains("{{pr}}") }) {
            reader.report(
                fields["terraform"], "\(key).terraform.vars",
                "give at least one variable that uses {{pr}} (e.g. `function_name: \"app-pr-{{pr}}\"`), or every preview would overwrite the same resources"
            )
        }
        guard let terraform, let ttl, let optOutLabel else { return nil }
        return PreviewConfig(terraform: terraform, ttl: ttl, secrets: secrets, optOutLabel: optOutLabel)
    }

    private func parseTerraform(_ node: Node, key: String) -> TerraformConfig? {
        guard
            let fields = reader.mapping(node, key: key, allowed: ["dir", "vars", "version_output"], required: ["dir"])
        else { return nil }
        let dir = fields["dir"].flatMap { reader.name($0, key: "\(key).dir", allowSlash: true, placeholders: true) }
        var vars: [(String, String)] = []
        if let node = fields["vars"], let entries = reader.namedEntries(node, key: "\(key).vars") {
            for (name, keyNode, value) in entries {
                guard reader.checkedName(name, node: keyNode, key: "\(key).vars") != nil,
                    let text = reader.string(value, key: "\(key).vars.\(name)")
                else { continue }
                vars.append((name, text))
            }
        }
        let versionOutput = fields["version_output"].flatMap { reader.name($0, key: "\(key).version_output") }
        guard let dir else { return nil }
        return TerraformConfig(dir: dir, vars: vars, versionOutput: versionOutput)
    }

    private func parseStrategy(_ node: Node, key: String) -> [CanaryStep] {
        guard let fields = reader.mapping(node, key: key, allowed: ["steps", "preset"]) else { return [] }
        if fields["steps"] != nil, fields["preset"] != nil {
            reader.report(node, key, "give either `steps` or `preset`, not both")
            return []
        }
        if let preset = fields["preset"] {
            guard let name = reader.string(preset, key: "\(key).preset") else { return [] }
            guard let steps = StrategyPreset.steps(named: name) else {
                let near =
                    YAMLReader.nearest(name, in: StrategyPreset.examples).map { " (did you mean `\($0)`?)" } ?? ""
                reader.report(
                    preset, "\(key).preset",
                    "unknown preset `\(name)`\(near); expected one of: "
                        + StrategyPreset.examples.joined(separator: ", ")
                )
                return []
            }
            return steps
        }
        guard let stepsNode = fields["steps"] else {
            reader.report(node, key, "give `steps` (a list of `{ weight: 10, pause: 60s }`) or a `preset`")
            return []
        }
        guard let items = reader.sequence(stepsNode, key: "\(key).steps") else { return [] }
        if items.isEmpty { reader.report(stepsNode, "\(key).steps", "give at least one step") }
        if items.count > 100 { reader.report(stepsNode, "\(key).steps", "at most 100 steps, got \(items.count)") }
        var steps: [CanaryStep] = []
        for (index, item) in items.prefix(100).enumerated() {
            let stepKey = "\(key).steps[\(index)]"
            guard
                let step = reader.mapping(
                    item, key: stepKey, allowed: ["weight", "pause", "evidence"], required: ["weight"])
            else { continue }
            guard let weightNode = step["weight"],
                let weight = reader.double(weightNode, key: "\(stepKey).weight", range: 0.1...100, what: "a percentage")
            else { continue }
            let pause = step["pause"].map { reader.duration($0, key: "\(stepKey).pause") } ?? .zero
            if let previous = steps.last, weight <= previous.weight {
                reader.report(
                    weightNode, "\(stepKey).weight",
                    "weights must increase from step to step; \(Percent.format(previous.weight)) is followed by \(Percent.format(weight))"
                )
            }
            let evidence = step["evidence"].flatMap { parseEvidence($0, key: "\(stepKey).evidence") }
            if let node = step["evidence"], weight >= 100 {
                reader.report(
                    node, "\(stepKey).evidence",
                    "a step at 100 % leaves no stable version to compare with; give `evidence` to a step before it")
            }
            if let pause { steps.append(CanaryStep(weight: weight, pause: pause, evidence: evidence)) }
        }
        if let last = steps.last, last.weight < 100 {
            steps.append(CanaryStep(weight: 100, pause: .zero))
        }
        return steps
    }

    /// `4x` (or `4×`, or `4`): how many times as often as stable the canary may be shown not to fail.
    private func parseEvidence(_ node: Node, key: String) -> Double? {
        var text = ""
        if case .scalar(let scalar) = node { text = scalar.string }
        let number = text.hasSuffix("x") || text.hasSuffix("×") ? String(text.dropLast()) : text
        guard number.allSatisfy({ "0123456789.".contains($0) }), let value = Double(number), value > 1, value <= 100
        else {
            reader.report(
                node, key,
                "expected a multiple of stable's failure rate above 1 and at most 100, like `4x`, "
                    + "got \(reader.describe(node))"
            )
            return nil
        }
        return value
    }

    private func parseSmoke(_ node: Node, key: String) -> [SmokeTest] {
        guard let items = reader.sequence(node, key: key) else { return [] }
        var tests: [SmokeTest] = []
        for (index, item) in items.enumerated() {
            let itemKey = "\(key)[\(index)]"
            guard
                let fields = reader.mapping(
                    item, key: itemKey, allowed: ["name", "invoke", "http", "run", "timeout"], required: ["name"])
            else { continue }
            let name = fields["name"].flatMap { reader.name($0, key: "\(itemKey).name") }
            let timeout =
                fields["timeout"].map {
                    reader.duration($0, key: "\(itemKey).timeout", max: .seconds(3600), allowZero: false)
                } ?? .seconds(30)
            let kinds = ["invoke", "http", "run"].filter { fields[$0] != nil }
            guard kinds.count == 1 else {
                reader.report(
                    item, itemKey,
                    "give exactly one of `invoke`, `http` or `run`\(kinds.isEmpty ? "" : ", got \(kinds.joined(separator: " and "))")"
                )
                continue
            }
            var kind: SmokeTest.Kind?
            var httpTimeout: Duration?
            if let invoke = fields["invoke"] {
                if let body = reader.mapping(invoke, key: "\(itemKey).invoke", allowed: ["payload"]) {
                    let payload =
                        body["payload"].flatMap { reader.string($0, key: "\(itemKey).invoke.payload") } ?? "{}"
                    kind = .invoke(payload: payload)
                }
            } else if let http = fields["http"] {
                if let body = reader.mapping(
                    http, key: "\(itemKey).http", allowed: ["url", "status", "timeout"], required: ["url"]),
                    let urlNode = body["url"], let target = reader.url(urlNode, key: "\(itemKey).http.url")
                {
                    let status =
                        body["status"].map { reader.int($0, key: "\(itemKey).http.status", range: 100...599) } ?? 200
                    httpTimeout = body["timeout"].flatMap {
                        reader.duration($0, key: "\(itemKey).http.timeout", max: .seconds(3600), allowZero: false)
                    }
                    if let status { kind = .http(url: target, status: status) }
                }
            } else if let run = fields["run"], let argv = reader.stringList(run, key: "\(itemKey).run") {
                if argv.first?.isEmpty ?? true {
                    reader.report(
                        run, "\(itemKey).run",
                        "give the program and its arguments, e.g. [\"./scripts/smoke.sh\", \"{{canary}}\"]")
                } else if argv[0].contains("{{") {
                    reader.report(
                        run, "\(itemKey).run[0]",
                        "the program is a fixed path; placeholders such as {{canary}} go in its arguments")
                } else {
                    kind = .run(argv)
                }
            }
            if let name, let kind, let timeout {
                tests.append(SmokeTest(name: name, kind: kind, timeout: httpTimeout ?? timeout))
            }
        }
        return tests
    }

    private func parseAnalysis(_ node: Node, key: String) -> AnalysisConfig {
        var analysis = AnalysisConfig.defaults
        guard
            let fields = reader.mapping(
                node, key: key,
                allowed: ["interval", "failure_limit", "inconclusive_limit", "confirm", "judge", "metrics"])
        else { return analysis }
        if let node = fields["judge"] { analysis.judge = parseJudge(node, key: "\(key).judge") }
        if let node = fields["confirm"] {
            if case .scalar(let scalar) = node, scalar.string == "next-sample" {
                analysis.confirm = .nextSample
            } else if case .scalar(let scalar) = node, DurationParser.parse(scalar.string) == nil {
                reader.report(
                    node, "\(key).confirm", "expected `next-sample` or a duration like 1s, got \(reader.describe(node))"
                )
            } else if let value = reader.duration(node, key: "\(key).confirm", max: .seconds(3600), allowZero: false) {
                analysis.confirm = .after(value)
            }
        }
        if let node = fields["interval"],
            let value = reader.duration(node, key: "\(key).interval", max: .seconds(3600), allowZero: false)
        {
            analysis.interval = value
        }
        if let node = fields["failure_limit"],
            let value = reader.int(node, key: "\(key).failure_limit", range: 0...1000)
        {
            analysis.failureLimit = value
        }
        if let node = fields["inconclusive_limit"],
            let value = reader.int(node, key: "\(key).inconclusive_limit", range: 0...1000)
        {
            analysis.inconclusiveLimit = value
        }
        if let node = fields["metrics"], let items = reader.sequence(node, key: "\(key).metrics") {
            var names: Set<String> = []
            for (index, item) in items.enumerated() {
                guard let metric = parseMetric(item, key: "\(key).metrics[\(index)]") else { continue }
                if !names.insert(metric.name).inserted {
                    reader.report(item, "\(key).metrics[\(index)].name", "metric name `\(metric.name)` is used twice")
                }
                analysis.metrics.append(metric)
            }
        }
        if !analysis.metrics.contains(where: { $0.total != nil || $0.mannWhitney }), let node = fields["judge"] {
            reader.report(
                node, "\(key).judge",
                "no metric is judged: give a metric `failures` and `total` queries and a `max_increase`")
        }
        return analysis
    }

    private func parseJudge(_ node: Node, key: String) -> JudgeConfig {
        var judge = JudgeConfig.defaults
        guard
            let fields = reader.mapping(
                node, key: key,
                allowed: [
                    "confidence", "advance_confidence", "history", "ceiling", "on_ceiling", "min_requests", "power",
                    "max_extension", "on_insufficient",
                ])
        else { return judge }
        if let node = fields["advance_confidence"],
            let value = reader.double(node, key: "\(key).advance_confidence", range: 0.5...0.9999, what: "a confidence")
        {
            judge.advanceConfidence = value
        }
        if let node = fields["history"], let value = reader.duration(node, key: "\(key).history", max: .seconds(86_400))
        {
            judge.history = value
        }
        if let node = fields["ceiling"],
            let value = reader.duration(node, key: "\(key).ceiling", max: .seconds(86_400), allowZero: false)
        {
            judge.ceiling = value
        }
        if let node = fields["on_ceiling"] {
            if case .scalar(let scalar) = node, let value = JudgeConfig.OnInsufficient(rawValue: scalar.string) {
                judge.onCeiling = value
            } else {
                reader.report(
                    node, "\(key).on_ceiling",
                    "expected one of \(JudgeConfig.OnInsufficient.allCases.map(\.rawValue).joined(separator: ", ")), "
                        + "got \(reader.describe(node))")
            }
        }
        if let node = fields["confidence"],
            let value = reader.double(node, key: "\(key).confidence", range: 0.5...0.9999, what: "a confidence")
        {
            judge.confidence = value
        }
        if let node = fields["power"],
            let value = reader.double(node, key: "\(key).power", range: 0.5...0.99, what: "a power")
        {
            judge.power = value
        }
        let older = [
            "min_requests": "give a step `evidence: 4x` instead: it advances once the judge shows the canary fails "
                + "less than 4x as often as stable, as soon as the traffic shows it (`min_requests: auto` asks for "
                + "more requests than a step gets at a few a second, and its default on_insufficient reverts)",
            "max_extension": "steps with `evidence` wait up to the judge's `ceiling` (30m) instead",
            "on_insufficient": "steps with `evidence` end at the judge's `ceiling` as `on_ceiling` says instead",
        ]
        for (name, instead) in older.sorted(by: { $0.key < $1.key }) where fields[name] != nil {
            reader.warn(fields[name], "\(key).\(name)", "`\(name)` is the older way to let a step advance; \(instead)")
        }
        if let node = fields["min_requests"] {
            if case .scalar(let scalar) = node, scalar.string == "auto" {
                judge.minRequests = .auto
            } else if case .scalar(let scalar) = node, Int(scalar.string) == nil {
                reader.report(
                    node, "\(key).min_requests", "expected a number of requests or `auto`, got \(reader.describe(node))"
                )
            } else if let value = reader.int(node, key: "\(key).min_requests", range: 0...1_000_000) {
                judge.minRequests = .count(value)
            }
        }
        if let node = fields["max_extension"],
            let value = reader.duration(node, key: "\(key).max_extension", max: .seconds(86_400))
        {
            judge.maxExtension = value
        }
        if let node = fields["on_insufficient"] {
            let choices = JudgeConfig.OnInsufficient.allCases.map(\.rawValue)
            if case .scalar(let scalar) = node, let value = JudgeConfig.OnInsufficient(rawValue: scalar.string) {
                judge.onInsufficient = value
            } else {
                reader.report(
                    node, "\(key).on_insufficient",
                    "expected one of \(choices.joined(separator: ", ")), got \(reader.describe(node))")
            }
        }
        return judge
    }

    /// `50%` or `0.5`: how much higher the canary's rate may be than stable's.
    private func parseIncrease(_ node: Node, key: String) -> Double? {
        if case .scalar(let scalar) = node, scalar.string.hasSuffix("%") {
            guard let percent = Double(scalar.string.dropLast()), percent.isFinite, (0...10_000).contains(percent)
            else {
                reader.report(
                    node, key, "expected a percentage from 0% to 10000%, like 50%, got \(reader.describe(node))")
                return nil
            }
            return percent / 100
        }
        // A bare number is a fraction, one rule for every percentage: `50` would mean 5000 % and
        // switch the gate off, so a bare number above 1 is refused with the percentage it was likely meant as.
        guard let fraction = reader.double(node, key: key, what: "an increase (like 50% or 0.5)") else { return nil }
        guard (0...1).contains(fraction) else {
            let meant = YAMLReader.format(fraction)
            reader.report(
                node, key,
                "a bare number is a fraction (0.5 means 50%), so \(meant) would mean "
                    + "\(YAMLReader.format(fraction * 100))%; write \(meant)% if that is what you meant")
            return nil
        }
        return fraction
    }

    /// `prometheus: { failures: Q, total: Q }`: the two queries of a metric judged by counts, each
    /// read by its backend as a query of its own.
    private func parseCounts(_ backend: any BackendQuery.Type, _ value: Node, key: String) -> (
        failures: MetricQuery, total: MetricQuery
    )? {
        let path = "\(key).\(backend.kind)"
        guard
            let parts = reader.mapping(
                value, key: path, allowed: ["failures", "total"], required: ["failures", "total"])
        else { return nil }
        let read = { (part: String) in
            backend.parse(ConfigEntry(reader: reader, node: value, key: path, kind: part, fields: parts)).map(
                MetricQuery.init)
        }
        guard let failures = read("failures"), let total = read("total") else { return nil }
        for (part, query) in [("failures", failures), ("total", total)] {
            if let problem = query.backend.countsProblem { reader.report(parts[part], "\(path).\(part)", problem) }
        }
        if failures.backend.readsRawCounters != total.backend.readsRawCounters {
            reader.report(
                value, path,
                "`failures` and `total` must be read alike: both raw counters, or both counted over `[{{window}}]`")
        }
        if let advice = failures.backend.countsAdvice ?? total.backend.countsAdvice {
            reader.warn(value, path, advice)
        }
        return (failures, total)
    }

    private func parseMetric(_ node: Node, key: String) -> MetricConfig? {
        let backends = MetricBackends.all
        let allowed =
            ["name", "max", "min", "max_ratio_to_baseline", "max_increase", "judge", "direction", "dry_run"]
            + backends.map { $0.kind }
        guard let fields = reader.mapping(node, key: key, allowed: allowed, required: ["name"]) else { return nil }
        let name = fields["name"].flatMap { reader.name($0, key: "\(key).name") }
        var source: MetricQuery?
        var total: MetricQuery?
        let named = backends.filter { fields[$0.kind] != nil }
        if named.count == 1, let backend = named.first, let value = fields[backend.kind], Self.isCounts(value) {
            if let counts = parseCounts(backend, value, key: key) { (source, total) = (counts.failures, counts.total) }
        } else if named.count == 1, let backend = named.first {
            source = backend.parse(
                ConfigEntry(reader: reader, node: node, key: key, kind: backend.kind, fields: fields)
            ).map(MetricQuery.init)
        } else {
            reader.report(
                node, key, "give exactly one source: " + backends.map { "`\($0.example)`" }.joined(separator: " or "))
        }
        let max = fields["max"].flatMap { reader.double($0, key: "\(key).max") }
        let min = fields["min"].flatMap { reader.double($0, key: "\(key).min") }
        let ratio = fields["max_ratio_to_baseline"].flatMap {
            reader.double($0, key: "\(key).max_ratio_to_baseline", range: 0.000001...1_000_000, what: "a ratio")
        }
        let increase = fields["max_increase"].flatMap { parseIncrease($0, key: "\(key).max_increase") }
        let counted = named.count == 1 && named.first.flatMap { fields[$0.kind] }.map(Self.isCounts) == true
        var mannWhitney = false
        if let node = fields["judge"] {
            if case .scalar(let scalar) = node, scalar.string == "mann-whitney", !counted {
                mannWhitney = true
            } else {
                reader.report(
                    node, "\(key).judge",
                    counted
                        ? "a metric with `failures` and `total` is judged by its counts; leave out `judge`"
                        : "expected `mann-whitney` (the canary's values against stable's), got \(reader.describe(node))"
                )
            }
        }
        var direction = MannWhitneyShift.Direction.increase
        if let node = fields["direction"] {
            if case .scalar(let scalar) = node, let value = MannWhitneyShift.Direction(rawValue: scalar.string),
                fields["judge"] != nil
            {
                direction = value
            } else {
                reader.report(
                    node, "\(key).direction",
                    "expected one of \(MannWhitneyShift.Direction.allCases.map(\.rawValue).joined(separator: ", ")) "
                        + "with `judge: mann-whitney`, got \(reader.describe(node))")
            }
        }
        if mannWhitney && fields["max_increase"] == nil {
            reader.report(
                node, key,
                "a metric judged by `mann-whitney` needs `max_increase`: how far the canary's values may move from stable's "
                    + "median, like `max_increase: 25%`")
        } else if !counted, !mannWhitney, fields["judge"] == nil, let node = fields["max_increase"] {
            reader.report(
                node, "\(key).max_increase",
                "`max_increase` judges a metric by counts: give `failures` and `total` queries, like "
                    + "`prometheus: { failures: QUERY, total: QUERY }`")
        } else if !counted, fields["judge"] == nil, fields["max"] == nil, fields["min"] == nil,
            fields["max_ratio_to_baseline"] == nil
        {
            reader.report(node, key, "give a threshold: `max`, `min` or `max_ratio_to_baseline`")
        }
        let dryRun = fields["dry_run"].map { reader.bool($0, key: "\(key).dry_run") } ?? false
        guard let name, let source, let dryRun else { return nil }
        var metric = MetricConfig(
            name: name, source: source, max: max, min: min, maxRatioToBaseline: ratio, dryRun: dryRun)
        metric.total = total
        // Counts without `max_increase` allow none: any increase the judge proves reverts.
        metric.maxIncrease = increase ?? (counted ? 0 : nil)
        metric.mannWhitney = mannWhitney
        metric.direction = direction
        return metric
    }

    /// A backend's value that is a mapping of `failures` and `total` (and nothing a single query has).
    private static func isCounts(_ node: Node) -> Bool {
        guard case .mapping(let mapping) = node else { return false }
        let keys = mapping.keys.compactMap(\.string)
        return keys.contains("failures") || keys.contains("total")
    }

    private func parseOnFailure(_ node: Node, key: String) -> OnFailure {
        var result = OnFailure.defaults
        guard let fields = reader.mapping(node, key: key, allowed: ["revert", "flags"]) else { return result }
        if let node = fields["revert"], let value = reader.bool(node, key: "\(key).revert") { result.revert = value }
        if let node = fields["flags"], let items = reader.sequence(node, key: "\(key).flags") {
            result.flags = items.enumerated().compactMap { index, item in parseFlag(item, key: "\(key).flags[\(index)]")
            }
        }
        return result
    }

    func parseFlag(_ node: Node, key: String) -> FlagFlip? {
        let kinds = FlagKinds.all
        let allowed = Array(Set(kinds.flatMap { [$0.kind] + $0.otherKeys })).sorted()
        let teach = "give a flag store: " + kinds.map { "`\($0.example)`" }.joined(separator: " or ")
        guard let fields = reader.mapping(node, key: key, allowed: allowed) else { return nil }
        let named = kinds.filter { fields[$0.kind] != nil }
        guard named.count == 1, let kind = named.first else {
            reader.report(
                node, key,
                named.isEmpty
                    ? teach : "give one flag store per entry, not \(named.map { $0.kind }.joined(separator: " and "))")
            return nil
        }
        let strays = fields.keys.filter { $0 != kind.kind && !kind.otherKeys.contains($0) }.sorted()
        guard strays.isEmpty else {
            reader.report(
                node, key,
                "`\(strays.joined(separator: "`, `"))` does not go with `\(kind.kind)`; write `\(kind.example)`")
            return nil
        }
        return kind.parse(ConfigEntry(reader: reader, node: node, key: key, kind: kind.kind, fields: fields)).map(
            FlagFlip.init)
    }
}
