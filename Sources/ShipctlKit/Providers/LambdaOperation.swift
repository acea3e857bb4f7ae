import Foundation

/// A Lambda API operation shipctl uses, both as the aws CLI spells it and as
/// the REST API (2015-03-31) addresses it, so either transport can carry it.
struct LambdaOperation: Sendable {
    /// The CLI's name for it: `get-alias`.
    let name: String
    let cli: [String]
    let method: String
    let path: String
    let query: String?
    let body: JSONValue?
    let mutating: Bool

    static func getAlias(function: String, alias: String) -> LambdaOperation {
        LambdaOperation(
            name: "get-alias", cli: ["lambda", "get-alias", "--function-name", function, "--name", alias],
            method: "GET", path: "/2015-03-31/functions/\(function)/aliases/\(alias)", query: nil, body: nil,
            mutating: false)
    }

    static func getFunctionConfiguration(function: String, qualifier: String) -> LambdaOperation {
        LambdaOperation(
            name: "get-function-configuration",
            cli: ["lambda", "get-function-configuration", "--function-name", function, "--qualifier", qualifier],
            method: "GET", path: "/2015-03-31/functions/\(function)/configuration", query: "Qualifier=\(qualifier)",
            body: nil, mutating: false)
    }

    static func publishVersion(function: String) -> LambdaOperation {
        LambdaOperation(
            name: "publish-version", cli: ["lambda", "publish-version", "--function-name", function],
            method: "POST", path: "/2015-03-31/functions/\(function)/versions", query: nil, body: .object([:]),
            mutating: true)
    }

    static func updateAlias(
        function: String, alias: String, version: String, weights: [String: JSONValue],
        revision: String?, description: String?
    ) -> LambdaOperation {
        var cli = [
            "lambda", "update-alias", "--function-name", function, "--name", alias, "--function-version", version,
            "--routing-config", routing(weights),
        ]
        var body: [String: JSONValue] = [
            "FunctionVersion": .string(version), "RoutingConfig": ["AdditionalVersionWeights": .object(weights)],
        ]
        if let revision {
            cli += ["--revision-id", revision]
            body["RevisionId"] = .string(revision)
        }
        if let description {
            cli += ["--description", description]
            body["Description"] = .string(description)
        }
        return LambdaOperation(
            name: "update-alias", cli: cli, method: "PUT", path: "/2015-03-31/functions/\(function)/aliases/\(alias)",
            query: nil, body: .object(body), mutating: true)
    }

    /// `{"AdditionalVersionWeights":{"2":0.1}}`, as `--routing-config` takes it.
    static func routing(_ weights: [String: JSONValue]) -> String {
        JSONValue.object(["AdditionalVersionWeights": .object(weights)]).canonical
    }

    /// What came back, from either transport.
    struct Reply: Sendable {
        var succeeded: Bool
        /// The answer document (stdout, or the response body).
        var text: String
        /// Where the error code is named: the CLI's stderr, or the API's error kind.
        var problem: String
        /// The error to report when the call failed for a reason the caller does not handle itself.
        var failure: ShipctlError

        func failed(with kind: String) -> Bool { !succeeded && problem.contains(kind) }

        func checked() throws(ShipctlError) -> Reply {
            guard succeeded else { throw failure }
            return self
        }
    }
}
