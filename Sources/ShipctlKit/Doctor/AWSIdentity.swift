import Foundation

/// Where the aws CLI and shipctl's signed calls get their credentials in an environment, and whose they are.
enum AWSIdentity {
    /// The first source the AWS SDKs and CLI would take, in words.
    static func source(_ environment: [String: String]) -> String {
        func given(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        if let profile = given("AWS_PROFILE") { return "the profile `\(profile)` (AWS_PROFILE)" }
        if given("AWS_ACCESS_KEY_ID") != nil {
            return given("AWS_SESSION_TOKEN") == nil
                ? "AWS_ACCESS_KEY_ID in the environment (long-lived keys)"
                : "AWS_ACCESS_KEY_ID and AWS_SESSION_TOKEN in the environment (temporary credentials)"
        }
        if given("AWS_WEB_IDENTITY_TOKEN_FILE") != nil {
            return "a web identity token for \(given("AWS_ROLE_ARN") ?? "AWS_ROLE_ARN") (AWS_WEB_IDENTITY_TOKEN_FILE)"
        }
        if given("AWS_CONTAINER_CREDENTIALS_FULL_URI") != nil || given("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") != nil
        {
            return "the container's credentials endpoint"
        }
        return "the aws CLI's default chain (~/.aws files, SSO, or the instance's role)"
    }

    /// `aws sts get-caller-identity`: the identity every AWS call will be made as.
    static func check(_ context: EnvironmentContext, region: String?) async -> DoctorCheck {
        let source = source(context.environment)
        let request = ProcessRequest(
            "aws", (region.map { ["--region", $0] } ?? []) + ["sts", "get-caller-identity", "--output", "json"],
            timeout: context.callTimeout, mutating: false)
        let fix =
            "give this shell credentials: in GitHub Actions aws-actions/configure-aws-credentials with role-to-assume; "
            + "on a laptop `aws sso login` or `aws configure`"
        switch await DoctorCheck.command("credentials", request, context: context, fix: fix) {
        case .failed(let check): return check
        case .output(let answer):
            // Named as the wire format names them.
            // swift-format-ignore: AlwaysUseLowerCamelCase
            struct Caller: Decodable {
                var Arn: String
                var Account: String
            }
            guard let caller = try? JSONDecoder().decode(Caller.self, from: Data(answer.utf8)) else {
                return .failed(
                    "credentials", "`aws sts get-caller-identity` answered \(context.redactor.quote(answer))",
                    fix: "check that `aws sts get-caller-identity` works in this shell")
            }
            return .ok(
                "credentials",
                "\(caller.Arn) (account \(caller.Account)), from \(source)")
        }
    }
}
