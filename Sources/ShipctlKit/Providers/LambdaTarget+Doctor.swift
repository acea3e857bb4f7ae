import Foundation

extension LambdaTarget {
    /// What a promote needs that no harmless call can show, as an IAM policy names it.
    static let unprobedPermissions = [
        ("lambda:PublishVersion", "a promote that publishes its version (no --version, no terraform output)"),
        ("lambda:UpdateAlias", "every traffic step, the revert and rollback"),
        ("lambda:InvokeFunction", "`invoke` smoke tests, on each version"),
    ]

    public func preflight(
        _ provider: any TrafficProvider, split: Result<TrafficSplit, ShipctlError>, _ context: EnvironmentContext
    ) async -> [DoctorCheck] {
        let region = context.region ?? context.environment["AWS_REGION"] ?? context.environment["AWS_DEFAULT_REGION"]
        var checks = [await AWSIdentity.check(context, region: region)]
        if let region {
            let named = context.region != nil ? "the environment's `region:`" : "AWS_REGION"
            checks.append(.ok("region", "\(region), from \(named)"))
        } else {
            checks.append(
                .failed(
                    "region", "no region is set",
                    fix: "give the environment `region:` in shipctl.yaml, or set AWS_REGION"))
        }
        checks.append(
            DoctorCheck.split(
                split, of: provider.target,
                missing:
                    "create the alias: `aws lambda create-alias --function-name \(function) --name \(alias) --function-version 1`, "
                    + "or let terraform create it"))
        guard case .success(let live) = split else {
            checks.append(
                DoctorCheck(
                    "permissions", .notProbed, "not probed: the alias could not be read",
                    fix: "see docs/permissions/aws-iam-policy.json for what shipctl calls"))
            return checks
        }
        checks.append(.ok("lambda:GetAlias", "allowed (the alias was read)"))
        let stable = live.stable
        do {
            _ = try await provider.resolveVersion(stable)
            checks.append(.ok("lambda:GetFunctionConfiguration", "allowed (version \(stable) was read)"))
        } catch {
            checks.append(.failed("lambda:GetFunctionConfiguration", error))
        }
        checks += DoctorCheck.unprobed(
            Self.unprobedPermissions, fix: "grant it as docs/permissions/aws-iam-policy.json does")
        return checks
    }
}
