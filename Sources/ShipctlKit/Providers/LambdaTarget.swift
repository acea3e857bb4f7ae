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

    public func provider(_ context: EnvironmentContext) -> any TrafficProvider {
        LambdaProvider(target: self, region: context.region, callTimeout: context.callTimeout, runner: context.runner,
                       redactor: context.redactor, http: context.awsAPI, environment: context.environment)
    }
}
