import Foundation

/// A flag kept as an AWS SSM parameter (`/micro-app/prod/MODEL_PROVIDER`).
/// Written through the SSM API directly when the environment holds credentials
/// (fast enough to flip beside a revert), else through the aws CLI.
public struct SSMFlag: FlagTarget {
    public static let kind = "ssm"
    public static let otherKeys = ["value"]
    public static let example = "{ ssm: /path/NAME, value: V }"

    public var parameter: String
    public var value: String

    public static func parse(_ entry: ConfigEntry) -> SSMFlag? {
        guard let parameter = entry.name(nil, allowSlash: true, placeholders: true) else { return nil }
        guard entry.has("value") else {
            entry.report("an ssm flag needs the `value` to write")
            return nil
        }
        return entry.string("value").map { SSMFlag(parameter: parameter, value: $0) }
    }

    public var name: String { parameter }

    public func setting(_ value: String) throws(ShipctlError) -> SSMFlag {
        SSMFlag(parameter: parameter, value: value)
    }

    public func filled(_ placeholders: Placeholders) -> SSMFlag {
        SSMFlag(parameter: placeholders.fill(parameter), value: placeholders.fill(value))
    }

    public var manualInstruction: String {
        "`"
            + ShellQuoting.display([
                "aws", "ssm", "put-parameter", "--name", parameter, "--value", value, "--type", "String", "--overwrite",
            ]) + "`"
    }

    /// The signed API when the environment holds credentials (and this is no dry run); else the aws CLI is used.
    private func api(_ context: EnvironmentContext) -> SSMParameterAPI? {
        context.awsAPI.flatMap {
            SSMParameterAPI.from(
                environment: context.environment, region: context.region, http: $0, redactor: context.redactor)
        }
    }

    private func regionArguments(_ context: EnvironmentContext) -> [String] {
        context.region.map { ["--region", $0] } ?? []
    }

    public func read(_ context: EnvironmentContext) async throws(ShipctlError) -> String? {
        if let api = api(context) { return try await api.get(name: parameter) }
        // Named as the wire format names them.
        // swift-format-ignore: AlwaysUseLowerCamelCase
        struct Answer: Decodable {
            struct Parameter: Decodable { var Value: String }
            var Parameter: Parameter
        }
        let request = ProcessRequest(
            "aws", regionArguments(context) + ["ssm", "get-parameter", "--name", parameter, "--output", "json"],
            mutating: false)
        let result = await context.runner.run(request)
        if !result.succeeded, result.stderr.contains("ParameterNotFound") { return nil }
        guard result.succeeded else { throw .commandFailed(request, result, redactor: context.redactor) }
        return (try? JSONDecoder().decode(Answer.self, from: Data(result.stdout.utf8)))?.Parameter.Value
    }

    public func write(_ context: EnvironmentContext) async throws(ShipctlError) {
        if let api = api(context) { return try await api.put(name: parameter, value: value) }
        // The value may be a secret: it goes through a private file, never on the command line.
        try await PrivateValueFile.with(value) { reference throws(ShipctlError) in
            let request = ProcessRequest(
                "aws",
                regionArguments(context) + [
                    "ssm", "put-parameter", "--name", parameter, "--value", reference,
                    "--type", "String", "--overwrite", "--output", "json",
                ], mutating: true)
            _ = try await context.runner.check(request, redactor: context.redactor)
        }
    }
}
