import Foundation

/// A flag kept as an AWS SSM parameter (e.g. `/micro-app/prod/MODEL_PROVIDER`).
/// Written through the SSM API directly when the environment holds credentials
/// (fast enough to flip beside a revert), else through the aws CLI.
public struct SSMFlagStore: FlagStore {
    private let runner: any ProcessRunning
    private let region: String?
    private let redactor: Redactor
    private let api: SSMParameterAPI?

    public init(runner: any ProcessRunning, region: String?, redactor: Redactor, http: (any HTTPClient)? = nil, environment: [String: String] = [:]) {
        self.runner = runner
        self.region = region
        self.redactor = redactor
        api = http.flatMap { SSMParameterAPI.from(environment: environment, region: region, http: $0, redactor: redactor) }
    }

    public func handles(_ flip: FlagFlip) -> Bool {
        if case .ssm = flip { return true }
        return false
    }

    private var regionArguments: [String] { region.map { ["--region", $0] } ?? [] }

    public func read(_ flip: FlagFlip) async throws(ShipctlError) -> String? {
        guard case let .ssm(parameter, _) = flip else { return nil }
        struct Answer: Decodable { struct Parameter: Decodable { var Value: String }; var Parameter: Parameter }
        let request = ProcessRequest("aws", regionArguments + ["ssm", "get-parameter", "--name", parameter, "--output", "json"], mutating: false)
        let result = await runner.run(request)
        if !result.succeeded, result.stderr.contains("ParameterNotFound") { return nil }
        guard result.succeeded else { throw .commandFailed(request, result, redactor: redactor) }
        return (try? JSONDecoder().decode(Answer.self, from: Data(result.stdout.utf8)))?.Parameter.Value
    }

    public func set(_ flip: FlagFlip) async throws(ShipctlError) {
        guard case let .ssm(parameter, value) = flip else { return }
        if let api { return try await api.put(name: parameter, value: value) }
        // The value may be a secret: it goes through a private file, never on the command line.
        try await PrivateValueFile.with(value) { reference throws(ShipctlError) in
            let request = ProcessRequest("aws", regionArguments + ["ssm", "put-parameter", "--name", parameter, "--value", reference,
                                                                   "--type", "String", "--overwrite", "--output", "json"], mutating: true)
            _ = try await runner.check(request, redactor: redactor)
        }
    }
}
