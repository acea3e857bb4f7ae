import Foundation

/// Terraform in one working directory: init, plan to a file, show it, apply
/// exactly that file, read outputs. Every call goes through the process runner.
public struct Terraform: Sendable {
    public let directory: String
    public let variables: [(name: String, value: String)]
    public let applyTimeout: Duration
    /// The workspace every state-touching command runs in (`TF_WORKSPACE`, so two
    /// previews in one directory never fight over `.terraform/environment`); nil: the selected one.
    public let workspace: String?
    private let runner: any ProcessRunning
    private let redactor: Redactor

    public init(
        directory: String, variables: [(name: String, value: String)], applyTimeout: Duration = .seconds(1800),
        workspace: String? = nil, runner: any ProcessRunning, redactor: Redactor
    ) {
        self.directory = directory
        self.variables = variables
        self.applyTimeout = applyTimeout
        self.workspace = workspace
        self.runner = runner
        self.redactor = redactor
    }

    private static let environment = ["TF_IN_AUTOMATION": "1", "TF_INPUT": "0"]

    private func request(_ arguments: [String], timeout: Duration, mutating: Bool, inWorkspace: Bool = true)
        -> ProcessRequest
    {
        var environment = Self.environment
        if inWorkspace, let workspace { environment["TF_WORKSPACE"] = workspace }
        return ProcessRequest(
            "terraform", arguments, environment: environment, workingDirectory: directory, timeout: timeout,
            mutating: mutating)
    }

    private var variableArguments: [String] { variables.flatMap { ["-var", "\($0.name)=\($0.value)"] } }

    public func initialise() async throws(ShipctlError) {
        guard FileManager.default.fileExists(atPath: directory) else {
            throw .usage(
                "terraform directory \(directory) does not exist",
                hint: "check `terraform.dir` in shipctl.yaml; it is relative to the config file")
        }
        _ = try await runner.check(
            request(
                ["init", "-input=false", "-no-color"], timeout: .seconds(300), mutating: false, inWorkspace: false),
            redactor: redactor)
    }

    /// Where plans shipctl makes for itself are written: never in the configuration's folder, where a plan
    /// left behind would be committed, or applied by someone else later.
    static let planFolder = FileManager.default.temporaryDirectory.appendingPathComponent("shipctl-plans").path

    /// Plans into `file` (default: a file of shipctl's own, which `apply` takes and then removes; a plan with
    /// no changes is removed at once).
    public func plan(into file: String? = nil) async throws(ShipctlError) -> PlanSummary {
        let planFile: String
        if let file {
            planFile = file
        } else {
            try? FileManager.default.createDirectory(
                atPath: Self.planFolder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            planFile = "\(Self.planFolder)/\(workspace ?? "default")-\(UUID().uuidString.prefix(8)).tfplan"
        }
        let owned = file == nil
        var keep = false
        defer { if owned && !keep { try? FileManager.default.removeItem(atPath: planFile) } }
        let arguments =
            ["plan", "-input=false", "-no-color", "-detailed-exitcode", "-out=\(planFile)"] + variableArguments
        let planRequest = request(arguments, timeout: .seconds(600), mutating: false)
        let result = await runner.run(planRequest)
        // -detailed-exitcode: 0 no changes, 2 changes, 1 error.
        guard !result.timedOut, result.status == 0 || result.status == 2 else {
            throw .commandFailed(planRequest, result, redactor: redactor)
        }
        let show = try await runner.check(
            request(["show", "-json", planFile], timeout: .seconds(120), mutating: false), redactor: redactor)
        guard
            let summary = PlanSummary.summarise(
                showJSON: show.stdout, planFile: planFile, hasChanges: result.status == 2)
        else {
            throw .runtime("could not read `terraform show -json \(planFile)` in \(directory)")
        }
        keep = summary.hasChanges
        return summary
    }

    public func apply(_ plan: PlanSummary) async throws(ShipctlError) {
        // A plan is applied once: shipctl's own is removed however the apply ends.
        defer {
            if plan.planFile.hasPrefix(Self.planFolder + "/") {
                try? FileManager.default.removeItem(atPath: plan.planFile)
            }
        }
        _ = try await runner.check(
            request(
                ["apply", "-input=false", "-no-color", "-auto-approve", plan.planFile],
                timeout: applyTimeout, mutating: true), redactor: redactor)
    }

    public func destroy() async throws(ShipctlError) {
        _ = try await runner.check(
            request(
                ["destroy", "-input=false", "-no-color", "-auto-approve"] + variableArguments,
                timeout: applyTimeout, mutating: true), redactor: redactor)
    }

    public func workspaces() async throws(ShipctlError) -> [String] {
        let result = try await runner.check(
            request(["workspace", "list", "-no-color"], timeout: .seconds(60), mutating: false, inWorkspace: false),
            redactor: redactor)
        return result.stdout.split(separator: "\n").map {
            $0.replacingOccurrences(of: "*", with: "").trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }
    }

    /// Deletes an (emptied) workspace; the selected one is never deleted, so `default` is selected first.
    public func deleteWorkspace(_ name: String) async throws(ShipctlError) {
        _ = try await runner.check(
            request(
                ["workspace", "select", "-no-color", "default"], timeout: .seconds(60), mutating: true,
                inWorkspace: false),
            redactor: redactor)
        _ = try await runner.check(
            request(
                ["workspace", "delete", "-no-color", name], timeout: .seconds(60), mutating: true, inWorkspace: false),
            redactor: redactor)
    }

    public func outputs() async throws(ShipctlError) -> [String: TerraformOutput] {
        struct Raw: Decodable {
            var value: JSONValue
            var sensitive: Bool?
        }
        let result = try await runner.check(
            request(["output", "-json", "-no-color"], timeout: .seconds(120), mutating: false), redactor: redactor)
        guard !result.stdout.isEmpty else { return [:] }
        guard let raw = try? JSONDecoder().decode([String: Raw].self, from: Data(result.stdout.utf8)) else {
            throw .runtime("could not read `terraform output -json` in \(directory)")
        }
        let outputs = raw.mapValues { TerraformOutput(value: $0.value, sensitive: $0.sensitive ?? false) }
        for output in outputs.values where output.sensitive {
            output.value.leafStrings.forEach(redactor.learn)
        }
        return outputs
    }
}
