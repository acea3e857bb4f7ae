import Foundation

/// What a configured kind — a compute platform, a metrics backend, a flag
/// store — needs from the world to do its work in one environment. Built in
/// one place (`ServiceParts.context`); each kind takes what it uses.
public struct EnvironmentContext: Sendable {
    public let runner: any ProcessRunning
    public let http: any HTTPClient
    /// The HTTP client for signed AWS API calls; nil under `--dry-run`, which
    /// prints the aws commands it would run instead.
    public let awsAPI: (any HTTPClient)?
    public let redactor: Redactor
    /// The environment's region.
    public let region: String?
    /// The process environment: credentials and endpoints for direct API calls.
    public let environment: [String: String]
    /// The address of each metrics backend that needs one, by its key (`prometheus`).
    public var metricEndpoints: [String: String] = [:]
    /// How each of those is asked when it sits behind auth (`auth:`), by the same key.
    public var metricAuth: [String: MetricEndpointAuth] = [:]
    /// Tokens printed by a `bearer_command`, shared by every query of the command (`Dependencies.metricTokens`).
    var tokens = MetricTokenCache()
    /// Where relative paths in the configuration start: the folder of `shipctl.yaml`.
    public var baseDirectory: String = "."
    /// How long one provider call may take (`timeouts.provider_call`).
    public var callTimeout: Duration = .seconds(30)
    /// The wall clock, for backends that ask for "the last N seconds".
    public var now: @Sendable () -> Date = Date.init
    /// A moment of the past that metric reads answer as of (`analyze`); nil reads the present.
    public var asOf: Date?

    public init(
        runner: any ProcessRunning, http: any HTTPClient, awsAPI: (any HTTPClient)?, redactor: Redactor,
        region: String?, environment: [String: String]
    ) {
        self.runner = runner
        self.http = http
        self.awsAPI = awsAPI
        self.redactor = redactor
        self.region = region
        self.environment = environment
    }

    /// The address the environment gives for `endpoint`, or why a query of that kind cannot be read.
    func address(of endpoint: MetricEndpoint) -> Result<String, MetricBackendProblem> {
        guard let address = metricEndpoints[endpoint.key] else {
            return .failure(
                MetricBackendProblem(
                    message:
                        "no \(endpoint.name) URL is configured for this environment (`\(endpoint.key): \(endpoint.example)`)"
                ))
        }
        return .success(address)
    }
}
