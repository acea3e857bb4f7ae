import Foundation

/// `shipctl preview up|down` for one service: terraform in workspace `pr-N`
/// with the preview's variables, the preview's secrets, and a record of both
/// in the audit log, under the lock for service/`pr-N`. Both are idempotent.
public struct PreviewEngine: Sendable {
    public let config: ShipctlConfig
    public let service: ServiceConfig
    public let env: EnvironmentConfig
    private let preview: PreviewConfig
    private let dependencies: Dependencies

    public init(config: ShipctlConfig, service: ServiceConfig, env: EnvironmentConfig, dependencies: Dependencies)
        throws(ShipctlError)
    {
        guard let preview = service.preview else {
            throw .usage(
                "service \(service.name) has no `preview` block",
                hint: "add `preview: { terraform: { dir: ..., vars: { name: \"app-pr-{{pr}}\" } } }` to it")
        }
        self.config = config
        self.service = service
        self.env = env
        self.preview = preview
        self.dependencies = dependencies
    }

    private var reporter: Reporter { dependencies.reporter }

    public static func workspace(pr: Int) -> String { "pr-\(pr)" }

    /// Pull request numbers as GitHub gives them; anything else is refused at the door.
    public static let pullRequestNumbers = 1...Int(Int32.max)

    public static func checkPullRequest(_ pr: Int) throws(ShipctlError) {
        guard pullRequestNumbers.contains(pr) else {
            throw .usage(
                "--pr \(pr) is not a pull request number",
                hint: "give the number GitHub shows, from 1 to \(pullRequestNumbers.upperBound)")
        }
    }

    /// Creates the preview, or updates it in place when it exists.
    public func up(pr: Int, ttl: Duration? = nil, now: Date = Date()) async throws(ShipctlError) {
        try await holdingLock(pr: pr) { journal throws(ShipctlError) in
            // Updating a preview keeps the life it was given, unless a new --ttl says otherwise.
            let known = try? await PreviewHistory.read(from: dependencies.store).preview(service: service.name, pr: pr)
            let kept = known?.expiresAt.flatMap { $0 > now ? $0 : nil }
            let expires =
                ttl.map { now.addingTimeInterval($0.timeInterval) } ?? kept
                ?? now.addingTimeInterval(preview.ttl.timeInterval)
            let terraform = try terraform(pr: pr)
            reporter.beginGroup(
                "preview pr-\(pr) of \(service.name): terraform in \(terraform.directory), workspace \(terraform.workspace ?? "")"
            )
            defer { reporter.endGroup() }
            try await terraform.initialise()
            let plan = try await terraform.plan()
            try await journal.emit(.terraformPlanned(headline: plan.headline, plan: plan.auditArgs))
            if plan.hasChanges {
                try await journal.performing(.terraformApplied(step: "preview", plan: plan.auditArgs)) {
                    _ async throws(ShipctlError) in
                    try await terraform.apply(plan)
                }
            }
            let outputs = try await terraform.outputs().filter { !$0.value.sensitive }.mapValues(\.value)
            let tags = [
                "shipctl-pr": String(pr), "shipctl-service": service.name, "expires-at": Timestamp.format(expires),
                "managed-by": "shipctl",
            ]
            for secret in secrets(pr: pr) {
                try await journal.performing(.previewSecretPut(name: secret.name, tokenBudget: secret.tokenBudget)) {
                    _ async throws(ShipctlError) in
                    try await secretStore.put(
                        name: secret.name, tags: tags.merging(["token-budget": String(secret.tokenBudget)]) { $1 })
                }
            }
            try await journal.emit(
                .previewUp(
                    pr: pr, workspace: Self.workspace(pr: pr), expiresAt: expires, outputs: outputs,
                    secrets: secrets(pr: pr).map(\.name)))
        }
    }

    /// Destroys the preview's resources, its workspace and its secrets. Returns
    /// false when there was nothing to tear down.
    @discardableResult
    public func down(pr: Int) async throws(ShipctlError) -> Bool {
        try await holdingLock(pr: pr) { journal throws(ShipctlError) -> Bool in
            let terraform = try terraform(pr: pr)
            let workspace = Self.workspace(pr: pr)
            try await terraform.initialise()
            let hadWorkspace = try await terraform.workspaces().contains(workspace)
            let recorded =
                try await PreviewHistory.read(from: dependencies.store).preview(service: service.name, pr: pr) != nil
            if hadWorkspace {
                reporter.beginGroup(
                    "preview pr-\(pr) of \(service.name): terraform destroy in \(terraform.directory), workspace \(workspace)"
                )
                defer { reporter.endGroup() }
                try await journal.performing(.terraformDestroyed(workspace: workspace)) {
                    _ async throws(ShipctlError) in
                    try await terraform.destroy()
                    try await terraform.deleteWorkspace(workspace)
                }
            }
            var hadSecret = false
            for secret in secrets(pr: pr) where try await secretStore.delete(name: secret.name) {
                hadSecret = true
            }
            guard hadWorkspace || recorded || hadSecret else {
                try await journal.emit(.nothingToTearDown(pr: pr))
                return false
            }
            try await journal.emit(
                .previewDown(pr: pr, workspace: workspace, secrets: secrets(pr: pr).map(\.name)))
            return true
        }
    }

    private func placeholders(pr: Int) -> Placeholders {
        Placeholders(["pr": String(pr), "service": service.name, "env": env.name])
    }

    private func terraform(pr: Int) throws(ShipctlError) -> Terraform {
        let fill = placeholders(pr: pr)
        return Terraform(
            directory: config.resolvePath(fill.fill(preview.terraform.dir)),
            variables: preview.terraform.vars.map { ($0.name, fill.fill($0.value)) },
            applyTimeout: config.timeouts.terraform, workspace: Self.workspace(pr: pr),
            runner: AnnouncingProcessRunner(base: dependencies.runner, say: { [reporter] in reporter.line($0) }),
            redactor: dependencies.redactor)
    }

    /// The names of the secrets `preview up` makes for `service`'s pull request `pr`.
    public static func secretNames(of service: ServiceConfig, env: EnvironmentConfig, pr: Int) -> [String] {
        let fill = Placeholders(["pr": String(pr), "service": service.name, "env": env.name])
        return (service.preview?.secrets ?? []).map { fill.fill($0.name) }
    }

    private func secrets(pr: Int) -> [PreviewConfig.Secret] {
        let fill = placeholders(pr: pr)
        return preview.secrets.map { PreviewConfig.Secret(name: fill.fill($0.name), tokenBudget: $0.tokenBudget) }
    }

    private var secretStore: PreviewSecrets {
        PreviewSecrets(
            region: env.region, callTimeout: config.timeouts.providerCall, runner: dependencies.runner,
            redactor: dependencies.redactor)
    }

    private func holdingLock<T>(pr: Int, _ body: (DeploymentJournal) async throws(ShipctlError) -> T)
        async throws(ShipctlError) -> T
    {
        try Self.checkPullRequest(pr)
        var scope = ServiceParts.scope(for: service, env: env, config: config, dependencies: dependencies)
        scope.env = Self.workspace(pr: pr)
        return try await dependencies.holdingLock(scope, deployment: "\(service.name)-preview-pr-\(pr)", body)
    }
}
