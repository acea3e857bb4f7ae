import Foundation

/// What a flag target needs from the world to read or write its flag.
public struct FlagContext: Sendable {
    let runner: any ProcessRunning
    let http: any HTTPClient
    /// The HTTP client for signed AWS API calls; nil under `--dry-run` and without credentials in the environment.
    let awsAPI: (any HTTPClient)?
    let redactor: Redactor
    let region: String?
    let environment: [String: String]
    /// Where relative flag-file paths start: the folder of `shipctl.yaml`.
    let baseDirectory: String
    /// How flag-service requests are tried again; tests shorten the waits.
    var retry: RetryPolicy = .standard

    public init(runner: any ProcessRunning, http: any HTTPClient, awsAPI: (any HTTPClient)?, redactor: Redactor,
                region: String?, environment: [String: String], baseDirectory: String) {
        self.runner = runner
        self.http = http
        self.awsAPI = awsAPI
        self.redactor = redactor
        self.region = region
        self.environment = environment
        self.baseDirectory = baseDirectory
    }
}
