import Foundation

/// The commented `shipctl.yaml` that `shipctl init` writes for one Lambda or
/// Cloud Run service: every key the loader takes for a first canary, with
/// safe values, so `config validate` accepts it as written.
public struct InitTemplate: Sendable {
    /// The platforms `init` has a template for.
    public enum Platform: String, Sendable, CaseIterable {
        case lambda
        case cloudrun
    }

    public var provider: Platform
    public var service: String
    public var env: String
    public var region: String
    /// Lambda function, or Cloud Run service.
    public var target: String
    public var alias: String
    public var project: String?
    /// The Prometheus that watches the environment; nil for the cloud's own metrics.
    public var prometheus: String?

    public init(
        provider: Platform, service: String, env: String, region: String, target: String,
        alias: String, project: String?, prometheus: String?
    ) {
        self.provider = provider
        self.service = service
        self.env = env
        self.region = region
        self.target = target
        self.alias = alias
        self.project = project
        self.prometheus = prometheus
    }

    /// Each value that lands in the file must read back as the same name; checked before writing.
    public func check() throws(ShipctlError) {
        let names: [(String, String)] =
            [
                ("--service", service), ("--env", env), ("--region", region), ("the target", target),
                ("--alias", alias),
            ] + (project.map { [("--project", $0)] } ?? [])
        for (what, value) in names {
            let valid =
                !value.isEmpty && value.count <= 63 && !value.hasPrefix("-")
                && value.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
            guard valid else {
                throw .usage(
                    "\(what) `\(TerminalText.neutralised(String(value.prefix(60)), keepNewlines: false))` is not a valid name: use letters, digits, `-` and `_`"
                )
            }
        }
        guard let prometheus else { return }
        guard let url = URL(string: prometheus), ["http", "https"].contains(url.scheme ?? ""), url.host != nil,
            !prometheus.contains(where: { $0 == "\"" || $0 == "\\" || $0.isNewline })
        else {
            throw .usage(
                "--prometheus `\(TerminalText.neutralised(String(prometheus.prefix(80)), keepNewlines: false))` is not an http:// or https:// URL"
            )
        }
    }

    public var yaml: String {
        """
        # shipctl configuration, written by `shipctl init`. Check it with `shipctl config validate`, check the
        # account with `shipctl doctor`, see what a promote would do with `shipctl plan --service \(service) --env \(env)`.
        version: 1

        # Audit log and state: on local disk here; for a team, a shared Postgres:
        #   state: { url: "${SHIPCTL_STATE_URL}" }
        state:
          dir: .shipctl

        \(environments)

        # How long one cloud call may take (a slow one is tried again, and each retry is printed), and
        # a whole `rollback` before it stops and says what it tried (`rollback --timeout` overrides).
        timeouts: { provider_call: 30s, terraform: 30m, rollback: 60s }

        services:
          \(service):
        \(targetBlock)
            # Uncomment when terraform publishes the version to promote:
            # terraform:
            #   dir: infra/envs/{{env}}
            #   vars: { git_sha: "${GIT_SHA:-dev}" }
            #   version_output: \(provider == .lambda ? "function_version" : "revision_name")
            # Traffic on the new version, step by step, watched by the metrics below. A step with `evidence`
            # advances once the judge shows the canary fails less than 4x as often as stable (at a few
            # requests a second: minutes); a `pause` is a minimum time. Or a preset:
            # `preset: Canary10Percent5Minutes` (also Linear10PercentEvery1Minute, AllAtOnce, ...).
            strategy:
              steps:
                - { weight: 50, evidence: 4x }
                - { weight: 100 }
            smoke:
        \(smoke)
            analysis:
              # The cloud's own metrics come once a minute, a minute or two late: evaluate every 30 s and
              # allow six evaluations (3 minutes) without a datapoint before reverting.
              interval: 30s
              failure_limit: 1           # failed evaluations tolerated; one more reverts
              inconclusive_limit: 6      # empty results or backend errors tolerated
              # Judged metrics compare the canary with the stable version serving beside it, on evidence.
              judge:
                confidence: 0.98           # revert once the canary is shown worse than allowed, at this confidence
                advance_confidence: 0.95   # a step's `evidence` holds at this confidence
                history: 60m               # stable's own last hour joins the evidence (0 turns it off)
                ceiling: 30m               # the longest a canary waits for its evidence
                on_ceiling: hold           # then hold (left for `shipctl resume`), revert, or continue
              metrics:
        \(metrics)
            on_failure:
              revert: true
              # Flags to flip when a canary fails (also `shipctl flags set NAME=VALUE`), e.g.
              # flags:
              #   - { ssm: "/\(service)/{{env}}/MODEL_PROVIDER", value: small-llm }
              #   - { unleash: { url: "https://unleash.example.com", project: default, feature: new-recs, environment: production, token: "${UNLEASH_TOKEN}" }, enabled: false }
              #   - { launchdarkly: { project: default, flag: new-recs, environment: production, token: "${LD_TOKEN}" }, enabled: false }

        """
    }

    private var environments: String {
        switch provider {
        case .lambda:
            let prometheus = self.prometheus.map { ", prometheus: \"\($0)\"" } ?? ""
            return """
                # Where each environment runs. The gates read CloudWatch, which every Lambda has; to gate on what
                # your app exports, give the environment a Prometheus: prometheus: "http://prometheus.internal:9090"
                environments:
                  \(env): { region: \(region)\(prometheus) }
                """
        case .cloudrun:
            let url =
                prometheus
                ?? "https://monitoring.googleapis.com/v1/projects/\(project ?? "PROJECT_ID")/location/global/prometheus"
            let auth = prometheus == nil ? "\n      auth: { bearer_command: [gcloud, auth, print-access-token] }" : ""
            return """
                # Where each environment runs. The gates read Cloud Run's own request metrics in PromQL from
                # Google Cloud Managed Service for Prometheus, with gcloud's token (roles/monitoring.viewer).
                environments:
                  \(env):
                    region: \(region)
                    prometheus:
                      url: "\(url)"\(auth)
                """
        }
    }

    private var targetBlock: String {
        switch provider {
        case .lambda:
            return """
                    provider: lambda
                    # The function and the alias whose routing shipctl shifts; the alias must exist.
                    lambda: { function: \(target), alias: \(alias) }
                """
        case .cloudrun:
            return """
                    provider: cloudrun
                    # The Cloud Run service whose revision traffic shipctl shifts.
                    cloudrun: { service: \(target), region: \(region)\(project.map { ", project: \($0)" } ?? "") }
                """
        }
    }

    private var smoke: String {
        switch provider {
        case .lambda:
            return """
                      # Invoke the new version directly before any user traffic reaches it.
                      - { name: invoke, invoke: { payload: '{"ping": true}' } }
                """
        case .cloudrun:
            return """
                      # A request to the new revision before any user traffic reaches it (replace the URL).
                      - { name: health, http: { url: "https://example.com/health", status: 200, timeout: 5s } }
                """
        }
    }

    /// Gates on what every function or service has, each version read on its own, with the Prometheus
    /// variant (what the app must export) for Lambda shown commented.
    private var metrics: String {
        switch provider {
        case .lambda:
            let dimensions =
                "dimensions: { FunctionName: \(target), Resource: \"\(target):\(alias)\", ExecutedVersion: \"{{version}}\" }"
            // A fixed comparison reads the canary's own series (`max_ratio_to_baseline` then reads stable's).
            let canaryDimensions = dimensions.replacingOccurrences(of: "{{version}}", with: "{{canary}}")
            return """
                        # An alias that splits traffic makes Lambda report each version apart (ExecutedVersion).
                        # {{version}} is read as the canary's version, then as stable's.
                        - name: errors
                          cloudwatch:
                            failures: { namespace: AWS/Lambda, metric: Errors, stat: Sum, \(dimensions) }
                            total: { namespace: AWS/Lambda, metric: Invocations, stat: Sum, \(dimensions) }
                          max_increase: 50%          # the canary's error rate at most 1.5 x stable's
                        - name: duration
                          cloudwatch: { namespace: AWS/Lambda, metric: Duration, stat: Average, period: 60, \(canaryDimensions) }
                          max_ratio_to_baseline: 1.5 # the canary's mean duration at most 1.5 x stable's ({{stable}})
                        # With a Prometheus, gate on what the app exports instead: a counter llm_requests_total and
                        # a histogram llm_request_latency_seconds, each labelled version (the Lambda version:
                        # AWS_LAMBDA_FUNCTION_VERSION) and the counter status (ok or error). The counters are
                        # named raw: shipctl reads them at the canary's start and at each evaluation and
                        # differences each series itself (resets included), exactly:
                        # - name: error-rate
                        #   prometheus:
                        #     failures: llm_requests_total{version="{{version}}",status="error"}
                        #     total: llm_requests_total{version="{{version}}"}
                        #   max_increase: 50%
                        # - name: p95-latency
                        #   prometheus: histogram_quantile(0.95, sum(rate(llm_request_latency_seconds_bucket{version="{{version}}"}[1m])) by (le))
                        #   judge: mann-whitney
                        #   max_increase: 25%
                """
        case .cloudrun:
            let revision =
                "monitored_resource=\"cloud_run_revision\",service_name=\"\(target)\",revision_name=\"{{version}}\""
            let canaryRevision = revision.replacingOccurrences(of: "{{version}}", with: "{{canary}}")
            return """
                        # Cloud Run's request metrics, per revision: {{version}} is read as the canary's revision,
                        # then as stable's. Cloud Monitoring's metrics are deltas, counted over the canary's time.
                        - name: server-errors
                          prometheus:
                            failures: sum(increase(run_googleapis_com:request_count{\(revision),response_code_class="5xx"}[{{window}}]))
                            total: sum(increase(run_googleapis_com:request_count{\(revision)}[{{window}}]))
                          max_increase: 50%          # the canary's 5xx rate at most 1.5 x stable's
                        - name: p95-latency-ms
                          prometheus: histogram_quantile(0.95, sum(rate(run_googleapis_com:request_latencies_bucket{\(canaryRevision)}[5m])) by (le))
                          max_ratio_to_baseline: 1.5 # at most 1.5 x stable's ({{stable}})
                """
        }
    }
}
