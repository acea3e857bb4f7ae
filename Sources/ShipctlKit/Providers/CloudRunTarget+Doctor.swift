import Foundation

extension CloudRunTarget {
    /// What a promote needs that no harmless call can show, as Google's IAM names it, with the role that holds it.
    static let unprobedPermissions = [
        ("run.services.update", "every traffic step, the revert and rollback (roles/run.developer)"),
        (
            "iam.serviceAccounts.actAs",
            "changing a service that runs as a service account (roles/iam.serviceAccountUser on that account)"
        ),
    ]

    public func preflight(
        _ provider: any TrafficProvider, split: Result<TrafficSplit, ShipctlError>, _ context: EnvironmentContext
    ) async -> [DoctorCheck] {
        var checks = [await credentials(context)]
        if let project = project ?? context.environment["CLOUDSDK_CORE_PROJECT"] {
            let named = self.project != nil ? "the service's `project:`" : "CLOUDSDK_CORE_PROJECT"
            checks.append(.ok("project", "\(project), from \(named); region \(region)"))
        } else {
            let request = ProcessRequest("gcloud", ["config", "get-value", "project", "--quiet"], mutating: false)
            switch await DoctorCheck.command(
                "project", request, context: context, fix: "check that gcloud runs: `gcloud config list`")
            {
            case .failed(let check): checks.append(check)
            case .output(let project) where project.isEmpty || project == "(unset)":
                checks.append(
                    .failed(
                        "project", "no project is set",
                        fix: "give the service `project:` in shipctl.yaml, or run `gcloud config set project PROJECT`"))
            case .output(let project):
                checks.append(.ok("project", "\(project), from gcloud's configuration; region \(region)"))
            }
        }
        checks.append(
            DoctorCheck.split(
                split, of: provider.target,
                missing: "deploy the service first: `gcloud run deploy \(service) --region \(region) --image IMAGE`"))
        guard case .success = split else { return checks }
        checks.append(.ok("run.services.get", "allowed (the service was read)"))
        checks += DoctorCheck.unprobed(
            Self.unprobedPermissions, fix: "grant the roles docs/permissions/google-cloud-roles.md lists")
        return checks
    }

    /// Where gcloud's credentials come from, and that it can make a token with them.
    private func credentials(_ context: EnvironmentContext) async -> DoctorCheck {
        func given(_ name: String) -> String? { context.environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        let fix =
            "in GitHub Actions use google-github-actions/auth with workload_identity_provider; "
            + "on a laptop `gcloud auth login`"
        var source: String
        if given("CLOUDSDK_AUTH_ACCESS_TOKEN_FILE") != nil {
            source = "an access token file (CLOUDSDK_AUTH_ACCESS_TOKEN_FILE)"
        } else if given("CLOUDSDK_AUTH_ACCESS_TOKEN") != nil {
            source = "an access token in CLOUDSDK_AUTH_ACCESS_TOKEN"
        } else if let file = given("CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE") ?? given("GOOGLE_APPLICATION_CREDENTIALS")
        {
            source = "the credentials file \(file) (a service account key or workload identity federation)"
        } else {
            let request = ProcessRequest("gcloud", ["config", "get-value", "account", "--quiet"], mutating: false)
            switch await DoctorCheck.command("credentials", request, context: context, fix: fix) {
            case .failed(let check): return check
            case .output(let account) where account.isEmpty || account == "(unset)":
                return .failed("credentials", "gcloud has no account and no token is given", fix: fix)
            case .output(let account): source = "the account \(account) (gcloud auth)"
            }
        }
        // The token itself is a secret: only whether gcloud can make one is kept.
        let token = ProcessRequest("gcloud", ["auth", "print-access-token", "--quiet"], mutating: false)
        switch await DoctorCheck.command("credentials", token, context: context, fix: fix) {
        case .failed(let check): return check
        case .output: return .ok("credentials", "gcloud makes tokens from \(source)")
        }
    }
}
