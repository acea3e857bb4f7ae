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
    public var prometheus: String

    public init(
        provider: Platform, service: String, env: String, region: String, target: String,
        alias: String, project: String?, prometheus: String
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
        guard let url = URL(string: prometheus), ["http", "https"].contains(url.scheme ?? ""), url.host != nil,
            !prometheus.contains(where: { $0 == "\"" || $0 == "\\" || $0.isNewline })
        else {
            throw .usage(
                "--prometheus `\(TerminalText.neutralised(String(prometheus.prefix(80)), keepNewlines: false))` is not an http:// or https:// URL"
            )
        }
    }

    public var yaml: String {
        let target: String
        switch provider {
        case .lambda:
            target = """
                    provider: lambda
                    # The function and the alias whose routing shipctl shifts; the alias must exist.
                    lambda: { function: \(self.target), alias: \(alias) }
                """
        case .cloudrun:
            target = """
                    provider: cloudrun
                    # The Cloud Run service whose revision traffic shipctl shifts.
                    cloudrun: { service: \(self.target), region: \(region)\(project.map { ", project: \($0)" } ?? "") }
                """
        }
        let smoke =
            provider == .lambda
            ? "      # Invoke the new version directly before any user traffic reaches it.\n      - { name: invoke, invoke: { payload: '{\"ping\": true}' } }"
            : "      # A request to the new revision before any user traffic reaches it (replace the URL).\n      - { name: health, http: { url: \"https://example.com/health\", status: 200, timeout: 5s } }"
        return """
            # shipctl configuration, written by `shipctl init`. Check it with `shipctl config validate`,
            # see what a promote would do with `shipctl plan --service \(service) --env \(env)`.
            version: 1

            # Audit log and state: on local disk here; for a team, a shared Postgres:
            #   state: { url: "postgres://deploy@db/shipctl" }
            state:
              dir: .shipctl

            # Where each environment runs and which Prometheus watches it.
            environments:
              \(env): { region: \(region), prometheus: "\(prometheus)" }

            # How long one cloud call may take (a slow one is tried again, and each retry is printed), and
            # a whole `rollback` before it stops and says what it tried (`rollback --timeout` overrides).
            timeouts: { provider_call: 30s, terraform: 30m, rollback: 60s }

            services:
              \(service):
            \(target)
                # Uncomment when terraform publishes the version to promote:
                # terraform:
                #   dir: infra/envs/{{env}}
                #   vars: { git_sha: "${GIT_SHA:-dev}" }
                #   version_output: function_version
                # Traffic on the new version, step by step; each pause is watched by the metrics below.
                # Or a preset: `preset: Canary10Percent5Minutes` (also Linear10PercentEvery1Minute, AllAtOnce, ...).
                strategy:
                  steps:
                    - { weight: 10, pause: 60s }
                    - { weight: 50, pause: 120s }
                    - { weight: 100 }
                smoke:
            \(smoke)
                analysis:
                  interval: 10s              # how often each metric is evaluated during a pause
                  failure_limit: 1           # failed evaluations tolerated; one more reverts
                  inconclusive_limit: 3      # empty results or backend errors tolerated
                  metrics:
                    # {{canary}} is the new version, {{stable}} the one serving now.
                    - name: error-rate
                      prometheus: sum(rate(llm_requests_total{version="{{canary}}",status="error"}[1m])) / sum(rate(llm_requests_total{version="{{canary}}"}[1m]))
                      max: 0.02
                    - name: p95-latency
                      prometheus: histogram_quantile(0.95, sum(rate(llm_request_latency_seconds_bucket{version="{{canary}}"}[1m])) by (le))
                      max: 2.5
                on_failure:
                  revert: true
                  # Flags to flip when a canary fails (also `shipctl flags set NAME=VALUE`), e.g.
                  # flags:
                  #   - { ssm: "/\(service)/{{env}}/MODEL_PROVIDER", value: small-llm }
                  #   - { unleash: { url: "https://unleash.example.com", project: default, feature: new-recs, environment: production, token: "${UNLEASH_TOKEN}" }, enabled: false }
                  #   - { launchdarkly: { project: default, flag: new-recs, environment: production, token: "${LD_TOKEN}" }, enabled: false }

            """
    }
}
