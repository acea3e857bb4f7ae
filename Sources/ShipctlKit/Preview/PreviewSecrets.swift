import Foundation

/// A preview's ephemeral secrets in AWS Secrets Manager, through the aws CLI:
/// tagged with the pull request, when they expire and the token budget, so
/// that whatever finds them (the app, a sweeper, a person) knows whose they are.
struct PreviewSecrets: Sendable {
    let region: String?
    let callTimeout: Duration
    let runner: any ProcessRunning
    let redactor: Redactor

    /// Creates the secret with a fresh random value, or gives an existing one a new value and tags.
    func put(name: String, tags: [String: String]) async throws(ShipctlError) {
        let value = Self.randomToken()
        redactor.learn(value)
        let tagArguments = ["--tags"] + tags.sorted { $0.key < $1.key }.map { "Key=\($0.key),Value=\($0.value)" }
        let exists = try await exists(name)
        try await PrivateValueFile.with(value) { reference throws(ShipctlError) in
            if exists {
                _ = try await aws(["put-secret-value", "--secret-id", name, "--secret-string", reference])
                _ = try await aws(["tag-resource", "--secret-id", name] + tagArguments)
            } else {
                _ = try await aws(
                    [
                        "create-secret", "--name", name, "--secret-string", reference,
                        "--description", "shipctl preview secret",
                    ] + tagArguments)
            }
        }
    }

    /// Deletes the secret at once (no recovery window: the preview is gone); a missing one is fine.
    /// True when there was one to delete. Asked first: deleting a secret already deleted succeeds.
    @discardableResult
    func delete(name: String) async throws(ShipctlError) -> Bool {
        guard try await exists(name) else { return false }
        let call = request(["delete-secret", "--secret-id", name, "--force-delete-without-recovery"])
        let result = await runner.run(call)
        if result.succeeded { return true }
        if result.stderr.contains("ResourceNotFoundException") { return false }
        throw .commandFailed(call, result, redactor: redactor)
    }

    /// The previews `put` tagged, as the secrets tell them: service, pull request, expiry, creation, each
    /// with the secret's name (whether `put` could have made it is for the caller, who knows the config).
    func previews() async throws(ShipctlError) -> [(secret: String, preview: PreviewState)] {
        let result = try await runner.check(
            request(["list-secrets", "--filters", "Key=tag-key,Values=shipctl-pr"]), redactor: redactor)
        guard case .array(let secrets)? = JSONValue.parse(result.stdout)?["SecretList"] else {
            throw .runtime(
                "`aws secretsmanager list-secrets` answered without a SecretList: "
                    + redactor.quote(result.stdout, limit: 200))
        }
        return secrets.compactMap { secret -> (String, PreviewState)? in
            var tags: [String: String] = [:]
            for pair in secret["Tags"]?.arrayValue ?? [] {
                if let key = pair["Key"]?.stringValue { tags[key] = pair["Value"]?.stringValue }
            }
            guard tags["managed-by"] == "shipctl", let service = tags["shipctl-service"],
                let pr = Checked.int(tags["shipctl-pr"].map(JSONValue.string), in: PreviewEngine.pullRequestNumbers)
            else { return nil }
            let name = secret["Name"]?.stringValue ?? ""
            let created = secret["CreatedDate"].flatMap { date -> Date? in
                // The CLI prints epoch seconds or an ISO 8601 time, depending on its version and settings.
                if case .string(let text) = date { return Timestamp.parse(text) }
                return date.doubleValue.flatMap { $0.isFinite ? Date(timeIntervalSince1970: $0) : nil }
            }
            return (
                name,
                PreviewState(
                    service: service, pr: pr, created: created, updated: nil,
                    expiresAt: tags["expires-at"].flatMap(Timestamp.parse), outputs: [:], foundIn: [.secrets])
            )
        }
    }

    private func exists(_ name: String) async throws(ShipctlError) -> Bool {
        let call = request(["describe-secret", "--secret-id", name])
        let result = await runner.run(call)
        if result.succeeded { return true }
        if result.stderr.contains("ResourceNotFoundException") { return false }
        throw .commandFailed(call, result, redactor: redactor)
    }

    private func request(_ arguments: [String]) -> ProcessRequest {
        ProcessRequest(
            "aws", (region.map { ["--region", $0] } ?? []) + ["secretsmanager"] + arguments + ["--output", "json"],
            timeout: callTimeout, mutating: !["describe", "list"].contains { arguments[0].hasPrefix($0) })
    }

    private func aws(_ arguments: [String]) async throws(ShipctlError) -> ProcessResult {
        try await runner.check(request(arguments), redactor: redactor)
    }

    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}
