import ShipctlKit

/// A small valid `shipctl.yaml`; the validation tests break it one key at a time,
/// so the line numbers they expect depend on this exact text.
public enum SampleConfig {
    public static let valid = """
        version: 1
        environments:
          prod: { region: us-east-1, prometheus: http://127.0.0.1:9090 }
        services:
          api:
            provider: lambda
            lambda: { function: micro-app-api, alias: live }
            strategy:
              steps:
                - { weight: 10, pause: 60s }
                - { weight: 50, pause: 2m }
            analysis:
              interval: 10s
              metrics:
                - name: error-rate
                  prometheus: sum(rate(x{version="{{canary}}"}[1m]))
                  max: 0.02
        """

    /// A config for the test world: state in `$SHIPCTL_STATE_DIR`, one `prod`
    /// environment (with the world's Prometheus, or none), and these `services:` entries.
    public static func inWorld(services: String, prometheus: Bool = true) -> String {
        """
        version: 1
        state: { dir: "${SHIPCTL_STATE_DIR}" }
        environments:
          prod: { region: us-east-1\(prometheus ? ", prometheus: \"${PROMETHEUS_URL}\"" : "") }
        services:
        \(services)
        """
    }

    /// One Lambda service `api` in the test world (no Prometheus) that goes to 100 % in one step,
    /// with these `on_failure.flags` entries (flow mappings), if any.
    public static func oneStepInWorld(function: String, flags: [String] = []) -> String {
        let onFailure =
            flags.isEmpty
            ? "" : "\n    on_failure:\n      flags:\n" + flags.map { "        - \($0)" }.joined(separator: "\n")
        return inWorld(
            services: """
                  api:
                    provider: lambda
                    lambda: { function: \(function), alias: live }
                    strategy:
                      steps:
                        - { weight: 100 }\(onFailure)
                """, prometheus: false)
    }

    /// One Lambda service `api` (micro-app-api, alias live) in a `prod` without
    /// Prometheus; `rest` follows on line 8: more of api's keys, then any other services.
    public static func lambdaAPI(_ rest: String) -> String {
        """
        version: 1
        environments:
          prod: { region: us-east-1 }
        services:
          api:
            provider: lambda
            lambda: { function: micro-app-api, alias: live }
        \(rest)
        """
    }

    /// One Lambda service `api` in `prod` whose `on_failure.flags` are these entries (the first on line 10).
    public static func withFlags(_ entries: String) -> String {
        lambdaAPI(
            """
                on_failure:
                  flags:
            \(entries)
            """)
    }

    /// What the loader reports about `yaml`: nothing when it loads; any other error as one issue at line 0.
    public static func issues(_ yaml: String, environment: [String: String] = [:], redactor: Redactor? = nil)
        -> [ConfigIssue]
    {
        do {
            _ = try ConfigLoader(environment: environment).parse(yaml: yaml, path: "shipctl.yaml", teaching: redactor)
            return []
        } catch {
            guard case .configuration(let issues) = error else {
                return [ConfigIssue(file: "", line: 0, column: 0, key: "", message: "\(error)")]
            }
            return issues
        }
    }
}
