import Foundation

/// Before any traffic moves: terraform plan and apply, then the version to promote.
extension CanaryRun {
    func applyTerraform() async throws(ShipctlError) -> String? {
        guard let block = service.terraform else { return nil }
        let placeholders = Placeholders(["service": service.name, "env": env.name])
        let terraform = Terraform(
            directory: engine.config.resolvePath(placeholders.fill(block.dir)),
            variables: block.vars.map { ($0.name, placeholders.fill($0.value)) },
            applyTimeout: engine.config.timeouts.terraform, runner: dependencies.runner, redactor: dependencies.redactor
        )
        reporter.beginGroup("terraform in \(terraform.directory)")
        defer { reporter.endGroup() }
        try await terraform.initialise()
        let plan = try await terraform.plan()
        try await journal.emit(.terraformPlanned(headline: plan.headline, plan: plan.auditArgs))
        // Not even --yes: applied, this plan would finish the rollout before the canary starts.
        if let takeover = TrafficTakeover.find(in: plan.resources, for: service.target).first {
            throw .runtime(
                takeover.problem,
                hint:
                    "\(takeover.fix) in \(terraform.directory), so that shipctl moves traffic step by step; nothing was applied"
            )
        }
        if plan.isDestructive && !options.yes {
            throw .runtime(
                "the terraform plan destroys or replaces resources: \(plan.headline)",
                hint: "review it with `terraform -chdir=\(terraform.directory) plan`; pass --yes to apply it anyway")
        }
        if plan.hasChanges {
            try await journal.performing(.terraformApplied(step: "terraform", plan: plan.auditArgs)) {
                _ async throws(ShipctlError) in
                try await terraform.apply(plan)
            }
        }
        if options.dryRun && plan.hasChanges { return nil }
        // Read even without `version_output`: reading teaches the redactor the sensitive values.
        let outputs = try await terraform.outputs()
        guard let outputName = block.versionOutput else { return nil }
        guard let output = outputs[outputName] else {
            throw .runtime(
                "terraform output `\(outputName)` does not exist in \(terraform.directory)",
                hint: "outputs there: \(outputs.keys.sorted().joined(separator: ", ")); fix `terraform.version_output`")
        }
        guard let version = output.value.stringValue else {
            throw .runtime("terraform output `\(outputName)` is not a single version")
        }
        return version
    }

    func chooseVersion(provider: any TrafficProvider, terraformVersion: String?) async throws(ShipctlError) -> String {
        if let requested = options.version {
            return try await provider.resolveVersion(requested)
        }
        if let terraformVersion {
            do {
                return try await provider.resolveVersion(terraformVersion)
            } catch .usage(let message, let hint) {
                // Not the user's typo: terraform handed over something that is not a version.
                throw .runtime("terraform output `\(service.terraform?.versionOutput ?? "")`: \(message)", hint: hint)
            }
        }
        return try await journal.performing(
            .versionPublished(version: nil), completed: { .versionPublished(version: $0) },
            { _ async throws(ShipctlError) -> String in try await provider.publishVersion() })
    }
}
