import Foundation

/// AWS Lambda: an alias with at most one additional version and a routing
/// weight from 0.0 to 1.0. The alias is read and moved through the signed
/// Lambda API when the environment holds credentials (one request instead of
/// an aws CLI start-up per call), else through the `aws` CLI; both answer in
/// the same shapes, so everything after the call is shared.
public struct LambdaProvider: TrafficProvider {
    public let function: String
    public let alias: String
    public let region: String?
    private let runner: any ProcessRunning
    private let callTimeout: Duration
    private let redactor: Redactor
    private let api: AWSAPIClient?

    /// `http` and `environment` enable the direct API; without them (or with
    /// credentials only the CLI can find) every call goes through the aws CLI.
    public init(
        target: LambdaTarget, region: String?, callTimeout: Duration = .seconds(30), runner: any ProcessRunning,
        redactor: Redactor,
        http: (any HTTPClient)? = nil, environment: [String: String] = [:]
    ) {
        self.callTimeout = callTimeout
        self.function = target.function
        self.alias = target.alias
        self.region = region
        self.runner = runner
        self.redactor = redactor
        // Qualified names and ARNs would need escaping in the API's paths; the CLI takes them as they are.
        let plain = [target.function, target.alias].allSatisfy {
            $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        }
        api =
            plain
            ? http.flatMap { AWSAPIClient.from(service: "lambda", environment: environment, region: region, http: $0) }
            : nil
    }

    public var target: String { "lambda \(function):\(alias)" }

    // Named as the wire format names them.
    // swift-format-ignore: AlwaysUseLowerCamelCase
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
        let reply = try await perform(.getAlias(function: function, alias: alias)).checked()
        let document: AliasDocument = try decode(reply.text, what: "get-alias")
        return try split(from: document, answer: reply.text, what: "get-alias")
    }

    private func split(from document: AliasDocument, answer: String, what: String) throws(ShipctlError) -> TrafficSplit
    {
        let extra = document.RoutingConfig?.AdditionalVersionWeights ?? [:]
        let witness = document.Description.flatMap(Witness.parse)
        guard Self.isVersionName(document.FunctionVersion) || document.FunctionVersion == "$LATEST", extra.count <= 1,
            extra.keys.allSatisfy(Self.isVersionName)
        else {
            throw unreadable(what, answer, because: "an alias routes to one published version and at most one other")
        }
        if let (version, weight) = extra.first {
            guard let percent = Checked.percent(fromFraction: weight) else {
                throw unreadable(what, answer, because: "a routing weight is a fraction from 0.0 to 1.0")
            }
            if percent > 0 {
                return TrafficSplit(
                    stable: document.FunctionVersion, canary: version, canaryPercent: percent,
                    revision: document.RevisionId, witness: witness)
            }
        }
        return TrafficSplit(stable: document.FunctionVersion, revision: document.RevisionId, witness: witness)
    }

    /// A published version number as Lambda writes it (`$LATEST` cannot take alias traffic).
    private static func isVersionName(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 20 && text.allSatisfy { $0.isASCII && $0.isNumber }
    }

    private func unreadable(_ what: String, _ answer: String, because reason: String) -> ShipctlError {
        .runtime(
            "`aws lambda \(what)` answered something shipctl cannot act on (\(reason)): \(redactor.quote(answer))",
            hint: "check the alias with `aws lambda get-alias --function-name \(function) --name \(alias)`")
    }

    public func resolveVersion(_ version: String) async throws(ShipctlError) -> String {
        guard !version.isEmpty, version.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw .usage(
                "`\(version)` is not a published Lambda version number",
                hint: "aliases can only route to published versions such as 7, not $LATEST or an alias")
        }
        // Named as the wire format names them.
        // swift-format-ignore: AlwaysUseLowerCamelCase
        struct Configuration: Decodable { var Version: String }
        let reply = try await perform(.getFunctionConfiguration(function: function, qualifier: version))
        if reply.failed(with: "ResourceNotFoundException") {
            throw .runtime(
                "version \(version) of \(function) does not exist",
                hint: "list versions with `aws lambda list-versions-by-function --function-name \(function)`")
        }
        let text = try reply.checked().text
        let configuration: Configuration = try decode(text, what: "get-function-configuration")
        guard Self.isVersionName(configuration.Version) else {
            throw unreadable("get-function-configuration", text, because: "a version is a number")
        }
        return configuration.Version
    }

    public func publishVersion() async throws(ShipctlError) -> String {
        // Named as the wire format names them.
        // swift-format-ignore: AlwaysUseLowerCamelCase
        struct Published: Decodable { var Version: String }
        let reply = try await perform(.publishVersion(function: function)).checked()
        let published: Published = try decode(reply.text, what: "publish-version")
        guard Self.isVersionName(published.Version) else {
            throw unreadable("publish-version", reply.text, because: "a version is a number")
        }
        return published.Version
    }

    public func shift(stable: String, canary: String, percent: Double, revision: String?) async throws(ShipctlError)
        -> TrafficSplit
    {
        try await updateAlias(
            version: stable, weights: Self.weights(canary: canary, percent: percent), revision: revision,
            retry: .standard)
    }

    /// The alias's `AdditionalVersionWeights` for `percent` on `canary`: a fraction, to five places.
    static func weights(canary: String, percent: Double) -> [String: JSONValue] {
        [canary: .number((percent / 100 * 100_000).rounded() / 100_000)]
    }

    /// The witness goes into the alias description in the same `update-alias`.
    public func routeAll(to version: String, revision: String?, urgent: Bool, witness: Witness?)
        async throws(ShipctlError) -> TrafficSplit
    {
        try await updateAlias(
            version: version, weights: [:], revision: revision, description: witness?.description,
            retry: urgent ? .revert : .standard)
    }

    public func command(for change: TrafficChange) -> String {
        let operation: LambdaOperation
        switch change {
        case .publish: operation = .publishVersion(function: function)
        case .shift(let stable, let canary, let percent):
            operation = .updateAlias(
                function: function, alias: alias, version: stable,
                weights: Self.weights(canary: canary, percent: percent), revision: nil, description: nil)
        case .routeAll(let version, let witness):
            operation = .updateAlias(
                function: function, alias: alias, version: version, weights: [:], revision: nil,
                description: witness?.description)
        }
        return ShellQuoting.display(["aws"] + regionArguments + operation.cli)
    }

    private func updateAlias(
        version: String, weights: [String: JSONValue], revision: String?, description: String? = nil,
        retry: RetryPolicy
    ) async throws(ShipctlError) -> TrafficSplit {
        let reply = try await perform(
            .updateAlias(
                function: function, alias: alias, version: version, weights: weights,
                revision: revision, description: description), retry: retry)
        if reply.failed(with: "PreconditionFailedException") {
            throw .runtime(
                "alias \(function):\(alias) was changed by someone else while shipctl was shifting traffic",
                hint: "run `shipctl status` to see the live split, then `shipctl rollback` or promote again")
        }
        let text = try reply.checked().text
        let document: AliasDocument = try decode(text, what: "update-alias")
        return try split(from: document, answer: text, what: "update-alias")
    }

    public func invoke(version: String, payload: String, timeout: Duration) async throws(ShipctlError)
        -> InvocationOutcome
    {
        if let api { return try await invokeThroughTheAPI(api, version: version, payload: payload, timeout: timeout) }
        // Named as the wire format names them.
        // swift-format-ignore: AlwaysUseLowerCamelCase
        struct Invocation: Decodable {
            var StatusCode: Int
            var FunctionError: String?
        }
        let responsePath = FileManager.default.temporaryDirectory.appendingPathComponent(
            "shipctl-invoke-\(UUID().uuidString).json"
        ).path
        defer { try? FileManager.default.removeItem(atPath: responsePath) }
        var call = request(
            [
                "lambda", "invoke", "--function-name", function, "--qualifier", version, "--payload", payload,
                responsePath,
            ], mutating: false)
        call.timeout = timeout
        let result = await runner.run(call)
        guard result.succeeded else {
            return InvocationOutcome(
                succeeded: false,
                detail: redactor.redact(
                    result.timedOut
                        ? "timed out after \(DurationParser.format(timeout))"
                        : result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)))
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

    /// `Invoke` as one signed request: a function error comes back as 200 with `X-Amz-Function-Error`.
    private func invokeThroughTheAPI(_ api: AWSAPIClient, version: String, payload: String, timeout: Duration)
        async throws(ShipctlError) -> InvocationOutcome
    {
        let answer: AWSAPIClient.Answer
        do {
            answer = try await api.send(
                "POST", path: "/2015-03-31/functions/\(function)/invocations", query: "Qualifier=\(version)",
                headers: ["Content-Type": "application/json"], body: Data(payload.utf8), timeout: timeout,
                retry: .standard)
        } catch {
            return InvocationOutcome(succeeded: false, detail: redactor.redact(error.description))
        }
        guard answer.succeeded else {
            return InvocationOutcome(
                succeeded: false,
                detail:
                    "\(answer.errorKind ?? "error"): \(redactor.quote(answer.errorMessage, limit: 200))"
            )
        }
        // Redact the whole body first: cutting first could leave the tail of a secret that straddles the cut.
        let shownBody = String(redactor.redact(answer.body).prefix(200))
        if let error = answer.headers["x-amz-function-error"] {
            return InvocationOutcome(succeeded: false, detail: "function error \(error): \(shownBody)")
        }
        return InvocationOutcome(succeeded: true, detail: "status \(answer.status)")
    }

    // MARK: calls

    private var regionArguments: [String] { region.map { ["--region", $0] } ?? [] }

    private func request(_ arguments: [String], mutating: Bool) -> ProcessRequest {
        ProcessRequest(
            "aws", regionArguments + arguments + ["--output", "json"], timeout: callTimeout, mutating: mutating)
    }

    /// One operation through the API when it can be used, else through the CLI.
    private func perform(_ operation: LambdaOperation, retry: RetryPolicy = .standard) async throws(ShipctlError)
        -> LambdaOperation.Reply
    {
        if let api {
            let answer = try await api.send(
                operation.method, path: operation.path, query: operation.query,
                headers: ["Content-Type": "application/json"], body: Data((operation.body?.canonical ?? "").utf8),
                timeout: callTimeout, retry: retry)
            let failure = ShipctlError.runtime(
                "Lambda \(operation.name) of \(function) failed after \(answer.attempts) attempt(s): \(answer.errorKind ?? "error"): \(redactor.quote(answer.errorMessage))",
                hint: "check the alias with `aws lambda get-alias --function-name \(function) --name \(alias)`")
            return LambdaOperation.Reply(
                succeeded: answer.succeeded, text: answer.body, problem: answer.errorKind ?? "",
                failure: failure)
        }
        var call = request(operation.cli, mutating: operation.mutating)
        call.retry = retry
        let result = await runner.run(call)
        return LambdaOperation.Reply(
            succeeded: result.succeeded, text: result.stdout, problem: result.stderr,
            failure: .commandFailed(call, result, redactor: redactor))
    }

    private func decode<T: Decodable>(_ text: String, what: String) throws(ShipctlError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch {
            throw .runtime(
                "could not read the answer of `aws lambda \(what)`: \(redactor.quote(text))",
                hint: "check that the aws CLI works: `aws lambda get-alias --function-name \(function) --name \(alias)`"
            )
        }
    }
}
