import Foundation

/// An AWS Lambda function's alias: `lambda: { function: NAME, alias: live }`.
public struct LambdaTarget: ProviderTarget {
    public static let kind = "lambda"
    public static let example = "lambda: { function: NAME, alias: live }"
    public static let newVersionSource = "a new version published from $LATEST"

    public var function: String
    public var alias: String

    public init(function: String, alias: String) {
        self.function = function
        self.alias = alias
    }

    public static func parse(_ entry: ConfigEntry) -> LambdaTarget? {
        guard let settings = entry.settings(allowed: ["function", "alias"], required: ["function"]) else { return nil }
        let function = entry.name("function", in: settings)
        let alias = entry.has("alias", in: settings) ? entry.name("alias", in: settings) : "live"
        guard let function, let alias else { return nil }
        return LambdaTarget(function: function, alias: alias)
    }

    public var placeholders: [String: String] { ["function": function, "alias": alias] }

    /// `lambda/ACCOUNT/REGION/FUNCTION/ALIAS`. The account is known without a call only
    /// from a function given as an ARN (`arn:aws:lambda:REGION:ACCOUNT:function:NAME`).
    public func identity(_ context: EnvironmentContext) -> String {
        let parts = function.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        if parts.count >= 7, parts[0] == "arn", parts[2] == "lambda", parts[5] == "function" {
            return "lambda/\(parts[4])/\(parts[3])/\(parts[6])/\(alias)"
        }
        let region =
            context.region ?? context.environment["AWS_REGION"] ?? context.environment["AWS_DEFAULT_REGION"] ?? ""
        return "lambda//\(region)/\(function)/\(alias)"
    }

    public func provider(_ context: EnvironmentContext) -> any TrafficProvider {
        LambdaProvider(
            target: self, region: context.region, callTimeout: context.callTimeout, runner: context.runner,
            redactor: context.redactor, http: context.awsAPI, environment: context.environment)
    }

    /// `aws_lambda_alias` of this function and alias whose version or routing the plan changes.
    public func trafficTakeover(_ change: TerraformResourceChange) -> TrafficTakeover? {
        guard change.type == "aws_lambda_alias", change.afterText("name") ?? alias == alias else { return nil }
        // The function may be named, or given as an ARN, or only known after the apply.
        if let named = change.afterText("function_name"), named != function, !named.hasSuffix(":function:\(function)") {
            return nil
        }
        let traffic = ["function_version", "routing_config"]
        let changed = traffic.filter(change.changes)
        return changed.isEmpty
            ? nil : TrafficTakeover(address: change.address, changed: changed, trafficAttributes: traffic)
    }
}
