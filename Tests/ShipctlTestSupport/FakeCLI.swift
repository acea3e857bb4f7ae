import Foundation
import ShipctlKit

/// `aws`, `gcloud` and `terraform` on PATH replaced by `scripts/testworld/fake_cli.py`,
/// answering from a script: for answers no real peer gives (absurd numbers,
/// huge strings, invalid JSON, control characters, injected workflow commands).
public struct FakeCLI: Sendable {
    public struct Answer: Sendable {
        public var stdout: String
        public var stderr: String
        public var status: Int
        public var outfile: String?
        public var sleep: Double?

        public init(
            stdout: String = "", stderr: String = "", status: Int = 0, outfile: String? = nil, sleep: Double? = nil
        ) {
            self.stdout = stdout
            self.stderr = stderr
            self.status = status
            self.outfile = outfile
            self.sleep = sleep
        }

        var json: JSONValue {
            var object: [String: JSONValue] = [
                "stdout": .string(stdout), "stderr": .string(stderr), "status": .int(Int64(status)),
            ]
            if let outfile { object["outfile"] = .string(outfile) }
            if let sleep { object["sleep"] = .number(sleep) }
            return .object(object)
        }
    }

    public let directory: URL
    public let environment: [String: String]
    public var callLog: URL { directory.appendingPathComponent("calls.log") }

    /// A folder with the fake programs and `answers` (command prefix → answer, e.g. "aws lambda get-alias").
    public init(
        in directory: URL, answers: [String: Answer], base: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        self.directory = directory
        let bin = directory.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let script = TestWorld.repositoryRoot.appendingPathComponent("scripts/testworld/fake_cli.py").path
        for program in ["aws", "gcloud", "terraform"] {
            try FileManager.default.createSymbolicLink(
                atPath: bin.appendingPathComponent(program).path, withDestinationPath: script)
        }
        let file = directory.appendingPathComponent("answers.json")
        try JSONValue.object(answers.mapValues(\.json)).canonical.write(to: file, atomically: true, encoding: .utf8)
        var environment = base
        environment["PATH"] = bin.path + ":" + (base["PATH"] ?? "/usr/bin:/bin")
        environment["FAKE_CLI_ANSWERS"] = file.path
        environment["FAKE_CLI_LOG"] = directory.appendingPathComponent("calls.log").path
        // No credentials the signed API could use: the fake answers in the CLI's place, so shipctl must call the CLI.
        for key in [
            "GITHUB_ACTIONS", "CI", "GITHUB_STEP_SUMMARY", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
        ] {
            environment.removeValue(forKey: key)
        }
        self.environment = environment
    }

    /// Every call the fakes answered, as argument vectors.
    public func calls() -> [[String]] {
        let text = (try? String(contentsOf: callLog, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            guard case .array(let items)? = JSONValue.parse(String(line)) else { return nil }
            return items.compactMap(\.stringValue)
        }
    }
}
