import Foundation

/// `flags set` and `flags list`: the flags one service/env configures, read
/// live and flipped by hand, each flip recorded like a revert's.
public struct ManualFlags: Sendable {
    let config: ShipctlConfig
    let service: ServiceConfig
    let env: EnvironmentConfig
    let dependencies: Dependencies

    public init(config: ShipctlConfig, service: ServiceConfig, env: EnvironmentConfig, dependencies: Dependencies) {
        self.config = config
        self.service = service
        self.env = env
        self.dependencies = dependencies
    }

    /// The service's flags with `{{env}}` and `{{service}}` filled in, as configured for a failure.
    public var configured: [FlagFlip] {
        let placeholders = Placeholders.deployment(service: service, env: env, canary: "", stable: "")
        return service.onFailure.flags.map { $0.filled(placeholders) }
    }

    /// A `NAME=VALUE` argument split at its first `=`.
    public static func assignment(_ text: String) throws(ShipctlError) -> (name: String, value: String) {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
            throw .usage(
                "expected NAME=VALUE, got `\(TerminalText.neutralised(String(text.prefix(80)), keepNewlines: false))`",
                hint: "e.g. `shipctl flags set /micro-app/prod/MODEL_PROVIDER=small-llm --service api --env prod`")
        }
        return (String(text[..<equals]), String(text[text.index(after: equals)...]))
    }

    /// The step of a flip by hand in the audit log.
    public static let step = "flags set"

    /// Sets every configured flag called `name` to `value`.
    public func set(name: String, value: String, reason: String?) async throws(ShipctlError) -> [FlagFlip] {
        let matching = configured.filter { $0.name == name }
        guard !matching.isEmpty else { throw unknown(name) }
        let flips = try matching.map { flip throws(ShipctlError) in try flip.setting(value) }
        let store = ServiceParts.flagStore(config: config, env: env, dependencies: dependencies)
        let journal = dependencies.journal(
            DeploymentRecorder(
                deployment: DeploymentRecorder.newDeploymentID(service: service.name, env: env.name, kind: "flags"),
                scope: ServiceParts.scope(for: service, env: env, config: config, dependencies: dependencies),
                store: dependencies.store, redactor: dependencies.redactor))
        for flip in flips {
            var args = flip.auditArgs
            args["by"] = "hand"
            if let reason { args["reason"] = .string(reason) }
            try await journal.performing(.flagFlipped(flip: flip, step: Self.step, args: args)) {
                _ async throws(ShipctlError) in
                try await store.set(flip)
            }
        }
        return flips
    }

    /// Each configured flag with its live value, or why it could not be read.
    public func list() async -> [(flip: FlagFlip, live: Result<String?, ShipctlError>)] {
        let store = ServiceParts.flagStore(config: config, env: env, dependencies: dependencies)
        var rows: [(FlagFlip, Result<String?, ShipctlError>)] = []
        for flip in configured {
            do {
                rows.append((flip, .success(try await store.read(flip))))
            } catch {
                rows.append((flip, .failure(error)))
            }
        }
        return rows
    }

    private func unknown(_ name: String) -> ShipctlError {
        let shown = TerminalText.neutralised(String(name.prefix(120)), keepNewlines: false)
        let known = configured.map(\.name)
        guard !known.isEmpty else {
            return .usage(
                "service \(service.name) names no flags, so `\(shown)` cannot be set",
                hint: "add them under `services.\(service.name).on_failure.flags` in the configuration")
        }
        return .usage(
            "service \(service.name) names no flag `\(shown)`; the flags it names in \(env.name) are: \(known.joined(separator: ", "))",
            hint: "see their live values with `shipctl flags list --service \(service.name) --env \(env.name)`")
    }
}
