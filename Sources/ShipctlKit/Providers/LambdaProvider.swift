import Foundation

/// AWS Lambda through the `aws` CLI: an alias with at most one additional
/// version and a routing weight from 0.0 to 1.0.
public struct LambdaProvider: TrafficProvider {
    public let function: String
    public let alias: String
    public let region: String?
    private let runner: any ProcessRunning
    private let callTimeout: Duration
    private let redactor: Redactor

    public init(target: LambdaTarget, region: String?, callTimeout: Duration = .seconds(30), runner: any ProcessRunning, redactor: Redactor) {
        self.callTimeout = callTimeout
        self.function = target.function
        self.alias = target.alias
        self.region = region
        self.runner = runner
        self.redactor = redactor
    }

    public var target: String { "lambda \(function):\(alias)" }

    private struct AliasDocument: Decodable {
        struct Routing: Decodable {
            var AdditionalVersionWeights: [String: Double]?
        }
        var FunctionVersion: String
        var RoutingConfig: Routing?
        var RevisionId: String?
        var Description: String?
    }

    public func readSplit() async throws(ShipctlError) -> TrafficSplit {
        let result = try await aws(["lambda", "get-alias", "--function-name", function, "--name", alias], mutating: false)
        let document: AliasDocument = try decode(result.stdout, what: "get-alias")
        return try split(from: document, answer: result.stdout, what: "get-alias")
    }

    private func split(from document: AliasDocument, answer: String, what: String) throws(ShipctlError) -> TrafficSplit {
        let extra = document.RoutingConfig?.AdditionalVersionWeights ?? [:]
        let witness = document.Description.flatMap(Witness.parse)
        guard Self.isVersionName(document.FunctionVersion) || document.FunctionVersion == "$LATEST", extra.count <= 1, extra.keys.allSatisfy(Self.isVersionName) else {
            throw unreadable(what, answer, because: "an alias routes to one published version and at most one other")
        }
        if let (version, weight) = extra.first {
            guard let percent = Checked.percent(fromFraction: weight) else {
                throw unreadable(what, answer, because: "a routing weight is a fraction from 0.0 to 1.0")
            }
            if percent > 0 {
                return TrafficSplit(stable: document.FunctionVersion, canary: version, canaryPercent: percent, revision: document.RevisionId, witness: witness)
            }
        }
        return TrafficSplit(stable: document.FunctionVersion, revision: document.RevisionId, witness: witness)
    }

    /// A published version number as Lambda writes it (`$LATEST` cannot take alias traffic).
    private static func isVersionName(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 20 && text.allSatisfy { $0.isASCII && $0.isNumber }
    }

    private func unreadable(_ what: String, _ answer: String, because reason: String) -> ShipctlError {
        .runtime("`aws lambda \(what)` answered something shipctl cannot act on (\(reason)): \(AnswerQuote.quote(redactor.redact(answer)))",
                 hint: "check the alias with `aws lambda get-alias --function-name \(function) --name \(alias)`")
    }

    public func resolveVersion(_ version: String) async throws(ShipctlError) -> String {
        guard !version.isEmpty, version.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw .usage("`\(version)` is not a published Lambda version number",
                         hint: "aliases can only route to published versions such as 7, not $LATEST or an alias")
        }
        struct Configuration: Decodable { var Version: String }
        let lookup = request(["lambda", "get-function-configuration", "--function-name", function, "--qualifier", version], mutating: false)
        let result = await runner.run(lookup)
        guard result.succeeded else {
            if result.stderr.contains("ResourceNotFoundException") {
                throw .runtime("version \(version) of \(function) does not exist", hint: "list versions with `aws lambda list-versions-by-function --function-name \(function)`")
            }
            throw .commandFailed(lookup, result, redactor: redactor)
        }
        let configuration: Configuration = try decode(result.stdout, what: "get-function-configuration")
        guard Self.isVersionName(configuration.Version) else { throw unreadable("get-function-configuration", result.stdout, because: "a version is a number") }
        return configuration.Version
    }

    public func publishVersion() async throws(ShipctlError) -> String {
        struct Published: Decodable { var Version: String }
        let result = try await aws(["lambda", "publish-version", "--function-name", function], mutating: true)
        if result.wasDryRun { return "NEW" }  // nothing was published
        let published: Published = try decode(result.stdout, what: "publish-version")
        guard Self.isVersionName(published.Version) else { throw unreadable("publish-version", result.stdout, because: "a version is a number") }
        return published.Version
    }

    public func shift(stable: String, canary: String, percent: Double, revision: String?) async throws(ShipctlError) -> TrafficSplit {
        let weight = (percent / 100 * 100_000).rounded() / 100_000
        let routing = "{\"AdditionalVersionWeights\":{\"\(canary)\":\(weight)}}"
        return try await updateAlias(version: stable, routing: routing, revision: revision, retry: .standard,
                                     fallback: TrafficSplit(stable: stable, canary: canary, canaryPercent: percent))
    }

    /// The witness goes into the alias description in the same `update-alias`.
    public func routeAll(to version: String, revision: String?, urgent: Bool, witness: Witness?) async throws(ShipctlError) -> TrafficSplit {
        try await updateAlias(version: version, routing: "{\"AdditionalVersionWeights\":{}}", revision: revision, description: witness?.description,
                              retry: urgent ? .revert : .standard, fallback: TrafficSplit(stable: version, witness: witness))
    }

    public func manualRouteAllCommand(to version: String) -> String {
        ShellQuoting.display(["aws"] + regionArguments + ["lambda", "update-alias", "--function-name", function, "--name", alias,
                                                          "--function-version", version, "--routing-config", "{\"AdditionalVersionWeights\":{}}"])
    }

    private func updateAlias(version: String, routing: String, revision: String?, description: String? = nil, retry: RetryPolicy,
                             fallback: TrafficSplit) async throws(ShipctlError) -> TrafficSplit {
        var arguments = ["lambda", "update-alias", "--function-name", function, "--name", alias, "--function-version", version, "--routing-config", routing]
        if let revision { arguments += ["--revision-id", revision] }
        if let description { arguments += ["--description", description] }
        var call = request(arguments, mutating: true)
        call.retry = retry
        let result = await runner.run(call)
        guard result.succeeded else {
            if result.stderr.contains("PreconditionFailedException") {
                throw .runtime("alias \(function):\(alias) was changed by someone else while shipctl was shifting traffic",
                               hint: "run `shipctl status` to see the live split, then `shipctl rollback` or promote again")
            }
            throw .commandFailed(call, result, redactor: redactor)
        }
        guard !result.wasDryRun else { return fallback }
        let document: AliasDocument = try decode(result.stdout, what: "update-alias")
        return try split(from: document, answer: result.stdout, what: "update-alias")
    }

    public func invoke(version: String, payload: String, timeout: Duration) async throws(ShipctlError) -> InvocationOutcome {
        struct Invocation: Decodable { var StatusCode: Int; var FunctionError: String? }
        let responsePath = FileManager.default.temporaryDirectory.appendingPathComponent("shipctl-invoke-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: responsePath) }
        var call = request(["lambda", "invoke", "--function-name", function, "--qualifier", version, "--payload", payload, responsePath], mutating: false)
        call.timeout = timeout
        let result = await runner.run(call)
        guard result.succeeded else {
            return InvocationOutcome(succeeded: false, detail: redactor.redact(result.timedOut ? "timed out after \(DurationParser.format(timeout))" : result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        let invocation: Invocation = try decode(result.stdout, what: "invoke")
        let body = (try? String(contentsOfFile: responsePath, encoding: .utf8)) ?? ""
        // Redact the whole body first: cutting first could leave the tail of a secret that straddles the cut.
        let shownBody = String(redactor.redact(body).prefix(200))
        if let error = invocation.FunctionError {
            return InvocationOutcome(succeeded: false, detail: "function error \(error): \(shownBody)")
        }
        guard (200..<300).contains(invocation.StatusCode) else {
            return InvocationOutcome(succeeded: false, detail: "status \(invocation.StatusCode)")
        }
        return InvocationOutcome(succeeded: true, detail: "status \(invocation.StatusCode)")
    }

    // MARK: aws CLI

    private var regionArguments: [String] { region.map { ["--region", $0] } ?? [] }

    private func request(_ arguments: [String], mutating: Bool) -> ProcessRequest {
        ProcessRequest("aws", regionArguments + arguments + ["--output", "json"], timeout: callTimeout, mutating: mutating)
    }

    private func aws(_ arguments: [String], mutating: Bool) async throws(ShipctlError) -> ProcessResult {
        try await runner.check(request(arguments, mutating: mutating), redactor: redactor)
    }

    private func decode<T: Decodable>(_ text: String, what: String) throws(ShipctlError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch {
            throw .runtime("could not read the answer of `aws lambda \(what)`: \(AnswerQuote.quote(redactor.redact(text)))", hint: "check that the aws CLI works: `aws lambda get-alias --function-name \(function) --name \(alias)`")
        }
    }
}
