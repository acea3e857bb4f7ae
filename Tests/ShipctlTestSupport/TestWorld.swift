import Foundation
import ShipctlKit
import XCTest

/// The local test world for one test: moto_server, the traffic
/// simulator and Prometheus on free 127.0.0.1 ports, started by
/// `scripts/testworld/world.py` (the same script the README demo uses) and
/// stopped by `shutdown()`.
public final class TestWorld: @unchecked Sendable {
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// The binary the end-to-end tests run: what users install, as `scripts/release` builds it (release
    /// configuration, static standard library), never a debug build — optimised concurrency code can fail
    /// where debug code does not. `scripts/test` points `SHIPCTL_BINARY` at the unpacked release tarball.
    public static var shipctlBinary: String {
        ProcessInfo.processInfo.environment["SHIPCTL_BINARY"]
            ?? repositoryRoot.appendingPathComponent(".build-release/release/shipctl").path
    }

    public let directory: URL
    public let awsEndpoint: String
    public let simulatorURL: String
    public let prometheusURL: String
    /// The Cloud Run API fake (control endpoints under /fake/).
    public let cloudRunURL: String
    /// The Unleash and LaunchDarkly admin-API fakes, on one address.
    public let flagServiceURL: String
    /// A peer that trickles, redirects to another origin or answers without end
    /// (`scripts/testworld/hostile_peer.py`: the path's first segment picks how).
    public let hostileURL: String
    /// A receiver of notifications (`scripts/testworld/notify_receiver.py`: `/answer/500,200/…` answers
    /// those statuses in turn, `/hang/…` never answers, anything else 200).
    public let notifyURL: String
    public static let cloudRunProject = "shipctl-test"
    public var environment: [String: String]
    /// The world's PostgreSQL (started with `postgres: true`): a superuser URL, and its port.
    public let postgresURL: String?
    public let postgresPort: Int?
    /// The world's OpenTelemetry collector (started with `collector: true`): its OTLP/HTTP base URL, and
    /// the log where it prints every span it receives.
    public let collectorURL: String?
    public let collectorLog: String?
    /// Where moto writes each AWS action shipctl called (`service:Action` a line; `moto_logged.py`).
    public let awsActionsLog: String
    private let runner = SystemProcessRunner()

    public init(prometheus: Bool = true, postgres: Bool = false, collector: Bool = false) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "shipctl-world-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var arguments = [
            Self.repositoryRoot.appendingPathComponent("scripts/testworld/world.py").path, "up", "--dir",
            directory.path,
        ]
        if !prometheus { arguments.append("--no-prometheus") }
        if postgres { arguments.append("--postgres") }
        if collector { arguments.append("--collector") }
        let result = await runner.run(
            ProcessRequest("python3", arguments, timeout: .seconds(90), retry: .never, mutating: true))
        guard result.succeeded,
            let state = JSONValue.parse(result.stdout.split(separator: "\n").last.map(String.init) ?? "")
        else {
            throw TestWorldError("world.py up failed: \(result.stderr) \(result.stdout)")
        }
        awsEndpoint = state["aws_endpoint"]?.stringValue ?? ""
        simulatorURL = state["simulator"]?.stringValue ?? ""
        prometheusURL = state["prometheus"]?.stringValue ?? ""
        cloudRunURL = state["cloudrun"]?.stringValue ?? ""
        flagServiceURL = state["flags"]?.stringValue ?? ""
        hostileURL = state["hostile"]?.stringValue ?? ""
        notifyURL = state["notify"]?.stringValue ?? ""
        postgresURL = state["postgres"]?["url"]?.stringValue
        postgresPort = state["postgres"]?["port"]?.doubleValue.map { Int($0) }
        collectorURL = state["collector"]?["url"]?.stringValue
        collectorLog = state["collector"]?["log"]?.stringValue
        awsActionsLog = state["aws_actions"]?.stringValue ?? ""
        var env = ProcessInfo.processInfo.environment
        if case .object(let worldEnvironment)? = state["env"] {
            for (key, value) in worldEnvironment where key.hasPrefix("CLOUDSDK_") { env[key] = value.stringValue }
        }
        env["AWS_ENDPOINT_URL"] = awsEndpoint
        env["AWS_ACCESS_KEY_ID"] = "testing"
        env["AWS_SECRET_ACCESS_KEY"] = "testing"
        env["AWS_DEFAULT_REGION"] = "us-east-1"
        env["PROMETHEUS_URL"] = prometheusURL
        env["TF_CLI_CONFIG_FILE"] = state["terraform_cli_config"]?.stringValue ?? ""
        env["SHIPCTL_STATE_DIR"] = directory.appendingPathComponent("state").path
        env["SHIPCTL_STATE_URL"] = postgresURL
        env.removeValue(forKey: "GITHUB_ACTIONS")
        env.removeValue(forKey: "CI")
        environment = env
    }

    /// Sends shipctl's AWS calls through the aws CLI instead of the signed API:
    /// credentials from a profile are ones only the CLI can find. For tests that
    /// put a fault-injecting `aws` on PATH.
    public func routeAWSThroughTheCLI() throws {
        environment = try environmentThroughTheCLI()
    }

    /// The world's environment with credentials that only the aws CLI finds (a profile).
    public func environmentThroughTheCLI() throws -> [String: String] {
        let file = directory.appendingPathComponent("aws-credentials")
        try "[moto]\naws_access_key_id = testing\naws_secret_access_key = testing\n".write(
            to: file, atomically: true, encoding: .utf8)
        var environment = self.environment
        environment["AWS_SHARED_CREDENTIALS_FILE"] = file.path
        environment["AWS_PROFILE"] = "moto"
        for key in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"] {
            environment.removeValue(forKey: key)
        }
        return environment
    }

    /// Writes `openMetrics` (samples with timestamps in seconds, `# EOF` last) into the
    /// world's Prometheus as history, through promtool; Prometheus restarts on the same address.
    public func backfillPrometheus(_ openMetrics: String) async throws {
        let file = directory.appendingPathComponent("history-\(UUID().uuidString.prefix(6)).om")
        try openMetrics.write(to: file, atomically: true, encoding: .utf8)
        let result = await runner.run(
            ProcessRequest(
                "python3",
                [
                    Self.repositoryRoot.appendingPathComponent("scripts/testworld/world.py").path,
                    "history", "--dir", directory.path, file.path,
                ],
                timeout: .seconds(120), retry: .never, mutating: true))
        guard result.succeeded else {
            throw TestWorldError("world.py history failed: \(result.stderr) \(result.stdout)")
        }
    }

    /// The AWS actions shipctl called in this world so far, a line each, in order.
    public func awsActions() -> [String] {
        ((try? String(contentsOfFile: awsActionsLog, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Stops the world. A test in which shipctl called an AWS action the documented policy does not
    /// grant fails here: the policy users copy would have refused that call.
    public func shutdown() async {
        do {
            let unlisted = try AWSPermissionPolicy.load().unlisted(awsActions())
            if !unlisted.isEmpty {
                XCTFail(
                    "shipctl called AWS actions docs/permissions/aws-iam-policy.json does not grant: "
                        + unlisted.joined(separator: ", "))
            }
        } catch {
            XCTFail("the AWS policy could not be read: \(error)")
        }
        _ = await runner.run(
            ProcessRequest(
                "python3",
                [
                    Self.repositoryRoot.appendingPathComponent("scripts/testworld/world.py").path, "down", "--dir",
                    directory.path,
                ],
                timeout: .seconds(30), retry: .never, mutating: true))
    }

    /// Runs SQL as the database superuser through the real psql (not through shipctl).
    public func psql(_ sql: String) async -> (status: Int32, output: String) {
        let result = await runner.run(
            ProcessRequest(
                "psql",
                [
                    "-h", "127.0.0.1", "-p", String(postgresPort ?? 0), "-U", "postgres", "-d", "postgres",
                    "-v", "ON_ERROR_STOP=1", "-At", "-c", sql,
                ],
                timeout: .seconds(30), retry: .never, mutating: true))
        return (result.status, result.stdout + result.stderr)
    }

    /// Starts an auth proxy in front of the world's Prometheus (`scripts/testworld/auth_proxy.py`) that
    /// passes only requests whose Authorization header is `authorization`; returns its URL.
    public func startAuthProxy(authorization: String) async throws -> String {
        let result = await runner.run(
            ProcessRequest(
                "python3",
                [
                    Self.repositoryRoot.appendingPathComponent("scripts/testworld/world.py").path, "auth-proxy",
                    "--dir", directory.path, "--authorization", authorization,
                ],
                timeout: .seconds(60), retry: .never, mutating: true))
        guard result.succeeded, let url = result.stdout.split(separator: "\n").last.map(String.init) else {
            throw TestWorldError("world.py auth-proxy failed: \(result.stderr)")
        }
        return url
    }

    /// Stops one peer (`prometheus`, `simulator`, `moto`, `postgres`) mid-test.
    public func stop(_ peer: String) async {
        _ = await runner.run(
            ProcessRequest(
                "python3",
                [
                    Self.repositoryRoot.appendingPathComponent("scripts/testworld/world.py").path, "stop", "--dir",
                    directory.path, peer,
                ],
                timeout: .seconds(30), retry: .never, mutating: true))
    }

    /// Stops PostgreSQL at once, as a crash or a failover does, and starts it again on the same port
    /// after `seconds`; returns once it accepts connections again.
    public func pausePostgres(for seconds: Double) async -> Bool {
        let result = await runner.run(
            ProcessRequest(
                "python3",
                [
                    Self.repositoryRoot.appendingPathComponent("scripts/testworld/world.py").path,
                    "pause-postgres", "--dir", directory.path, "--seconds", String(seconds),
                ],
                timeout: .seconds(90), retry: .never, mutating: true))
        return result.succeeded
    }

    /// Runs the real aws CLI against moto; throws unless it succeeds.
    @discardableResult
    public func aws(_ arguments: [String]) async throws -> String {
        // Named as the test's own call, so the log of shipctl's AWS actions leaves it out.
        let result = await SystemProcessRunner(environment: environment).run(
            ProcessRequest(
                "aws", arguments + ["--output", "json"], environment: ["AWS_SDK_UA_APP_ID": "shipctl-test-world"],
                timeout: .seconds(60), retry: .never, mutating: true))
        guard result.succeeded else {
            throw TestWorldError("aws \(arguments.joined(separator: " ")) failed: \(result.stderr)")
        }
        return result.stdout
    }

    /// A Lambda function with `versions` published versions (each with different
    /// code) and alias `live` on version 1, plus the model-toggle SSM parameter.
    public func createFunction(_ name: String, versions: Int) async throws {
        try await createFunctions([name], versions: versions)
    }

    public func createFunctions(_ names: [String], versions: Int) async throws {
        let script = Self.repositoryRoot.appendingPathComponent("scripts/testworld/world.py").path
        let result = await runner.run(
            ProcessRequest(
                "python3", [script, "functions", "--dir", directory.path, "--versions", String(versions)] + names,
                timeout: .seconds(120), retry: .never, mutating: true))
        guard result.succeeded else {
            throw TestWorldError("creating \(names.joined(separator: ", ")) failed: \(result.stderr)")
        }
    }

    public struct Alias {
        public var version: String
        public var weights: [String: Double]
    }

    public func alias(_ function: String) async throws -> Alias {
        let text = try await aws(["lambda", "get-alias", "--function-name", function, "--name", "live"])
        let document = JSONValue.parse(text)
        var weights: [String: Double] = [:]
        if case .object(let fields)? = document?["RoutingConfig"]?["AdditionalVersionWeights"] {
            for (key, value) in fields { weights[key] = value.doubleValue }
        }
        return Alias(version: document?["FunctionVersion"]?.stringValue ?? "", weights: weights)
    }

    /// Turns every function's simulated traffic down to `requestsPerSecond`, arriving at random (Poisson)
    /// as a micro app's few users do, instead of the default steady flow.
    public func setMicroAppTraffic(requestsPerSecond: Double) async throws {
        let body = "{\"rps\": \(requestsPerSecond), \"arrivals\": \"poisson\"}"
        let result = await runner.run(
            ProcessRequest(
                "curl", ["-sf", "-XPOST", "\(simulatorURL)/traffic", "-d", body], timeout: .seconds(10), retry: .never,
                mutating: true))
        guard result.succeeded else { throw TestWorldError("setting the traffic failed: \(result.stderr)") }
    }

    /// Changes what the app exports for one version: `hidden` stops (or restarts) its series, `jump` adds that
    /// much to its requests counter at once (a wrapped counter, an exporter's garbage).
    public func setExporter(function: String, version: String, hidden: Bool? = nil, jump: Double = 0) async throws {
        let body =
            "{\"function\": \"\(function)\", \"version\": \"\(version)\", \"jump\": \(jump)"
            + (hidden.map { ", \"hidden\": \($0)" } ?? "") + "}"
        let result = await runner.run(
            ProcessRequest(
                "curl", ["-sf", "-XPOST", "\(simulatorURL)/exporter", "-d", body], timeout: .seconds(10),
                retry: .never, mutating: true))
        guard result.succeeded else { throw TestWorldError("changing the exporter failed: \(result.stderr)") }
    }

    public func ssmValue(_ name: String) async throws -> String? {
        JSONValue.parse(try await aws(["ssm", "get-parameter", "--name", name]))?["Parameter"]?["Value"]?.stringValue
    }

    /// Makes one version of every function (or of `function` alone) behave as told in the simulated traffic.
    public func setBehaviour(version: String, errorRate: Double, latencySeconds: Double = 0.12, function: String? = nil)
        async throws
    {
        let only = function.map { ", \"function\": \"\($0)\"" } ?? ""
        let body =
            "{\"version\": \"\(version)\", \"error_rate\": \(errorRate), \"latency_seconds\": \(latencySeconds)\(only)}"
        let result = await runner.run(
            ProcessRequest(
                "curl", ["-sf", "-XPOST", "\(simulatorURL)/behaviour", "-d", body], timeout: .seconds(10),
                retry: .never, mutating: true))
        guard result.succeeded else { throw TestWorldError("setting behaviour failed: \(result.stderr)") }
    }

    // MARK: Unleash and LaunchDarkly (through the fake's control endpoints)

    /// Calls a control endpoint of the flag-service fake (`/fake/seed`, `/fake/faults`, `/fake/state`, `/fake/requests`).
    @discardableResult
    public func flagService(_ method: String, _ path: String, body: String? = nil) async throws -> JSONValue? {
        try await control(flagServiceURL, method, path, body: body, what: "flag service fake")
    }

    /// A JSON request to a fake's control endpoint, through curl.
    private func control(_ base: String, _ method: String, _ path: String, body: String?, what: String) async throws
        -> JSONValue?
    {
        var arguments = ["-sf", "-X", method, "\(base)\(path)"]
        if let body { arguments += ["-H", "Content-Type: application/json", "-d", body] }
        let result = await runner.run(
            ProcessRequest("curl", arguments, timeout: .seconds(10), retry: .never, mutating: true))
        guard result.succeeded else { throw TestWorldError("\(what) \(method) \(path) failed: \(result.stderr)") }
        return JSONValue.parse(result.stdout)
    }

    /// The requests the flag-service fake answered, oldest first.
    public func flagServiceRequests() async throws -> [JSONValue] {
        try await flagService("GET", "/fake/requests")?.arrayValue ?? []
    }

    /// Every request the hostile peer and its "elsewhere" origin received: method, port, path, headers.
    public func hostileRequests() async throws -> [JSONValue] {
        try await control(hostileURL, "GET", "/fake/requests", body: nil, what: "hostile peer")?.arrayValue ?? []
    }

    // MARK: Cloud Run (through the fake's control endpoints)

    @discardableResult
    private func cloudRunControl(_ method: String, _ path: String, body: String? = nil) async throws -> JSONValue? {
        try await control(cloudRunURL, method, path, body: body, what: "cloud run fake")
    }

    /// A Cloud Run service with `revisions` ready revisions and all traffic on the
    /// first, as `gcloud run deploy --no-traffic` leaves it. Returns the revision names, oldest first.
    public func createCloudRunService(_ name: String, revisions: Int, region: String = "us-central1") async throws
        -> [String]
    {
        let answer = try await cloudRunControl(
            "POST", "/fake/services",
            body:
                "{\"project\": \"\(Self.cloudRunProject)\", \"name\": \"\(name)\", \"revisions\": \(revisions), \"region\": \"\(region)\"}"
        )
        guard case .array(let names)? = answer?["revisions"] else {
            throw TestWorldError("the fake did not create \(name)")
        }
        return names.compactMap(\.stringValue)
    }

    /// `status.traffic` of a Cloud Run service as the API reports it: revision → percent, and the tags.
    public func cloudRunTraffic(_ name: String) async throws -> (percents: [String: Int], tags: [String: String]) {
        let state = try await cloudRunControl("GET", "/fake/state")
        guard case .array(let services)? = state?["services"],
            let service = services.first(where: { $0["metadata"]?["name"]?.stringValue == name }),
            case .array(let traffic)? = service["status"]?["traffic"]
        else { throw TestWorldError("no Cloud Run service \(name)") }
        var percents: [String: Int] = [:]
        var tags: [String: String] = [:]
        for target in traffic {
            guard let revision = target["revisionName"]?.stringValue else { continue }
            let percent = Int(target["percent"]?.doubleValue ?? 0)
            if percent > 0 { percents[revision, default: 0] += percent }
            if let tag = target["tag"]?.stringValue { tags[tag] = revision }
        }
        return (percents, tags)
    }

    /// The next `count` API requests (of `method`, or any) fail with `status`.
    public func injectCloudRunFault(status: Int, count: Int, method: String? = nil) async throws {
        let methodField = method.map { ", \"method\": \"\($0)\"" } ?? ""
        try await cloudRunControl(
            "POST", "/fake/faults", body: "{\"status\": \(status), \"count\": \(count)\(methodField)}")
    }

    /// Every API request the fake answered: method, path and status.
    public func cloudRunRequests() async throws -> [(method: String, path: String, status: Int)] {
        guard case .array(let requests)? = try await cloudRunControl("GET", "/fake/requests")?["requests"] else {
            return []
        }
        return requests.compactMap { request in
            guard let method = request["method"]?.stringValue, let path = request["path"]?.stringValue else {
                return nil
            }
            return (method, path, Int(request["status"]?.doubleValue ?? 0))
        }.filter { !$0.path.hasPrefix("/fake/") }
    }

    /// A copy of the repository's `infra/` in this world's folder, without any state or plan a local run left there.
    public func copyOfInfra() throws -> URL {
        let infra = directory.appendingPathComponent("infra")
        try FileManager.default.copyItem(at: Self.repositoryRoot.appendingPathComponent("infra"), to: infra)
        for leftover in [
            ".terraform", ".terraform.lock.hcl", "terraform.tfstate", "terraform.tfstate.backup", "shipctl.tfplan",
        ] {
            try? FileManager.default.removeItem(at: infra.appendingPathComponent(leftover))
        }
        return infra
    }

    /// Writes a config into a fresh folder (or the named one: a runner's working folder) and returns its path.
    public func writeConfig(_ yaml: String, name: String = "shipctl.yaml", folder folderName: String? = nil) throws
        -> String
    {
        let folder = directory.appendingPathComponent(folderName ?? "project-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent(name).path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Starts shipctl as a child the test can signal, with the world's environment (or `environment`);
    /// its output goes to `output`, or nowhere.
    public func startShipctl(
        _ arguments: [String], config: String, environment: [String: String]? = nil,
        output: FileHandle? = nil
    ) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.shipctlBinary)
        process.arguments = arguments + ["--config", config]
        process.environment = environment ?? self.environment
        process.standardOutput = output ?? FileHandle.nullDevice
        process.standardError = output ?? FileHandle.nullDevice
        try process.run()
        return process
    }

    public var auditLogPath: String { directory.appendingPathComponent("state/audit.jsonl").path }

    /// Every record of the world's audit log, parsed.
    public func auditRecords() throws -> [JSONValue] {
        try String(contentsOfFile: auditLogPath, encoding: .utf8).split(separator: "\n").compactMap {
            JSONValue.parse(String($0))
        }
    }

    public func shipctl(_ arguments: [String], config: String, timeout: Duration = .seconds(180)) async -> ShipctlRun {
        await ShipctlRun.run(arguments + ["--config", config], environment: environment, timeout: timeout)
    }
}

/// The outcome of running the built `shipctl` binary.
public struct ShipctlRun: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    public var output: String { stdout + stderr }

    public static func run(
        _ arguments: [String], environment: [String: String], workingDirectory: String? = nil,
        timeout: Duration = .seconds(180)
    ) async -> ShipctlRun {
        let result = await SystemProcessRunner(environment: environment).run(
            ProcessRequest(
                TestWorld.shipctlBinary, arguments, workingDirectory: workingDirectory, timeout: timeout, retry: .never,
                mutating: true))
        let run = ShipctlRun(status: result.status, stdout: result.stdout, stderr: result.stderr)
        if arguments.contains("--json") {
            // Every line of machine output is one documented event, whichever test ran the command.
            for line in run.stdout.split(separator: "\n") {
                if let problem = EventsDocument.shared.problem(with: String(line)) {
                    XCTFail("shipctl \(arguments.joined(separator: " ")): \(problem)")
                }
            }
        }
        return run
    }
}

extension ShipctlRun {
    /// The same command from one process per environment, all started at once (racing runners).
    public static func runConcurrently(_ arguments: [String], environments: [[String: String]]) async -> [ShipctlRun] {
        await withTaskGroup(of: ShipctlRun.self) { group in
            for environment in environments {
                group.addTask { await run(arguments, environment: environment) }
            }
            var runs: [ShipctlRun] = []
            for await run in group { runs.append(run) }
            return runs
        }
    }
}

public struct TestWorldError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
