import Foundation

/// Answers from the cloud CLIs that no real peer should give but a broken,
/// hijacked or future one might: absurd numbers, huge strings, invalid JSON,
/// control characters and workflow commands. Each must make shipctl fail
/// with a readable error (exit 1), never trap, never pass the text through raw.
public enum HostileAnswersCorpus {
    public struct Case: Sendable {
        public var name: String
        public var answers: [String: FakeCLI.Answer]
        public var commands: [[String]]
    }

    /// A terraform sensitive output among the answers; it must never be printed.
    public static let sensitiveValue = "SensitiveDbPassw0rd!"

    public static let config = SampleConfig.lambdaAPI(
        """
          web:
            provider: cloudrun
            cloudrun: { service: web, region: us-central1, project: p }
          infra:
            provider: lambda
            lambda: { function: micro-app-infra, alias: live }
            terraform: { dir: infra, version_output: function_version }
        """)

    static let escape = "\u{1B}[2J\u{1B}]0;pwned\u{07}"
    static let injected = "x\n::error::pwned\n::add-mask::zzz\r\(escape)"
    static let huge = String(repeating: "A", count: 1 << 20)
    static let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)

    static func alias(_ version: String, weights: String = "{}", description: String = "") -> String {
        "{\"FunctionVersion\":\(version),\"RoutingConfig\":{\"AdditionalVersionWeights\":\(weights)},\"RevisionId\":\"r1\"\(description)}"
    }

    public static let lambdaAnswers: [(String, FakeCLI.Answer)] = [
        ("weight 1e300", .init(stdout: alias("\"1\"", weights: "{\"2\":1e300}"))),
        ("negative weight", .init(stdout: alias("\"1\"", weights: "{\"2\":-0.5}"))),
        ("weight above 1", .init(stdout: alias("\"1\"", weights: "{\"2\":1.5}"))),
        ("weight as a string", .init(stdout: alias("\"1\"", weights: "{\"2\":\"0.5\"}"))),
        ("weight beyond Double", .init(stdout: alias("\"1\"", weights: "{\"2\":1e999}"))),
        ("three versions routed", .init(stdout: alias("\"1\"", weights: "{\"2\":0.1,\"3\":0.1}"))),
        ("routing to $LATEST", .init(stdout: alias("\"1\"", weights: "{\"$LATEST\":0.1}"))),
        (
            "version with control characters",
            .init(stdout: alias("\"1\(escape.unicodeScalars.map { String(format: "\\u%04x", $0.value) }.joined())\""))
        ),
        ("version with workflow commands", .init(stdout: alias("\"1\\n::error::pwned\\n::add-mask::zzz\""))),
        ("version of a megabyte", .init(stdout: alias("\"\(huge)\""))),
        ("version as a number", .init(stdout: alias("12"))),
        ("version null", .init(stdout: alias("null"))),
        ("version empty", .init(stdout: alias("\"\""))),
        ("truncated JSON", .init(stdout: "{\"FunctionVersion\":\"1\",\"Rout")),
        ("JSON null", .init(stdout: "null")),
        ("JSON list", .init(stdout: "[]")),
        ("nothing at all", .init(stdout: "")),
        ("nesting 100000 deep", .init(stdout: deep)),
        ("control characters instead of JSON", .init(stdout: injected)),
        (
            "a failure with hostile stderr",
            .init(
                stderr: "An error occurred (AccessDenied): \(injected)\n\(String(repeating: "B", count: 20_000))",
                status: 254)
        ),
        ("a failure with a megabyte of stderr", .init(stderr: huge, status: 255)),
    ]

    static let cloudRunAnswers: [(String, FakeCLI.Answer)] = [
        ("percent 1e300", .init(stdout: service(traffic: "[{\"revisionName\":\"web-00001-abc\",\"percent\":1e300}]"))),
        (
            "negative percent",
            .init(
                stdout: service(
                    traffic:
                        "[{\"revisionName\":\"web-00001-abc\",\"percent\":-5},{\"revisionName\":\"web-00002-abc\",\"percent\":105}]"
                ))
        ),
        (
            "percent above 100",
            .init(stdout: service(traffic: "[{\"revisionName\":\"web-00001-abc\",\"percent\":101}]"))
        ),
        (
            "percents adding up to 200",
            .init(
                stdout: service(
                    traffic:
                        "[{\"revisionName\":\"web-00001-abc\",\"percent\":100},{\"revisionName\":\"web-00002-abc\",\"percent\":100}]"
                ))
        ),
        (
            "percents that overflow when added",
            .init(
                stdout: service(
                    traffic:
                        "[{\"revisionName\":\"a\",\"percent\":9223372036854775807},{\"revisionName\":\"a\",\"percent\":9223372036854775807}]"
                ))
        ),
        (
            "revision names with control characters",
            .init(
                stdout: service(
                    traffic:
                        "[{\"revisionName\":\"web\\u001b[2J\\n::error::pwned\",\"percent\":50},{\"revisionName\":\"b\",\"percent\":30},{\"revisionName\":\"c\",\"percent\":20}]"
                ))
        ),
        ("traffic that is not a list", .init(stdout: service(traffic: "\"all of it\""))),
        ("no status", .init(stdout: "{\"metadata\":{\"name\":\"web\"}}")),
        ("truncated JSON", .init(stdout: "{\"status\":{\"traffic\":[{")),
        ("nothing at all", .init(stdout: "")),
        ("nesting 100000 deep", .init(stdout: deep)),
        ("a failure with hostile stderr", .init(stderr: "ERROR: (gcloud.run) \(injected)", status: 1)),
    ]

    static func service(traffic: String) -> String {
        "{\"metadata\":{\"name\":\"web\"},\"status\":{\"latestReadyRevisionName\":\"web-00002-abc\",\"traffic\":\(traffic)}}"
    }

    static func terraform(plan: FakeCLI.Answer = .init(), output: FakeCLI.Answer? = nil, show: FakeCLI.Answer? = nil)
        -> [String: FakeCLI.Answer]
    {
        [
            "terraform init": .init(), "terraform plan": plan, "terraform workspace": .init(),
            "terraform show": show ?? .init(stdout: "{\"format_version\":\"1.2\",\"resource_changes\":[]}"),
            "terraform output": output ?? .init(stdout: "{\"function_version\":{\"value\":\"2\",\"sensitive\":false}}"),
            "aws": .init(stderr: "aws must not be reached with a bad terraform answer", status: 255),
        ]
    }

    static func outputs(_ value: String, sensitive: Bool = false) -> FakeCLI.Answer {
        .init(stdout: "{\"function_version\":{\"value\":\(value),\"sensitive\":\(sensitive)}}")
    }

    static let terraformAnswers: [(String, [String: FakeCLI.Answer])] = [
        ("version output 1e300", terraform(output: outputs("1e300"))),
        ("version output negative", terraform(output: outputs("-1"))),
        ("version output with control characters", terraform(output: outputs("\"2\\u001b[2J\\n::error::pwned\""))),
        ("version output a mapping", terraform(output: outputs("{\"a\":1}"))),
        ("version output a list", terraform(output: outputs("[1,2]"))),
        ("version output null", terraform(output: outputs("null"))),
        ("version output sensitive", terraform(output: outputs("\"\(sensitiveValue)\"", sensitive: true))),
        ("version output of a megabyte", terraform(output: outputs("\"\(huge)\""))),
        ("outputs truncated", terraform(output: .init(stdout: "{\"function_version\":"))),
        ("outputs nested 100000 deep", terraform(output: .init(stdout: deep))),
        ("plan JSON truncated", terraform(show: .init(stdout: "{\"resource_changes\":[{\"addr"))),
        (
            "plan destroying hostile addresses",
            terraform(
                plan: .init(status: 2),
                show: .init(
                    stdout:
                        "{\"resource_changes\":[{\"address\":\"aws_lambda_function.x\\u001b[2J\\n::error::pwned\",\"change\":{\"actions\":[\"delete\"]}}]}"
                ))
        ),
        (
            "plan with absurd actions",
            terraform(
                show: .init(stdout: "{\"resource_changes\":[{\"address\":\"a\",\"change\":{\"actions\":\(deep)}}]}"))
        ),
        (
            "init failing with hostile stderr",
            terraform().merging(["terraform init": .init(stderr: "Error: \(injected)", status: 1)]) { $1 }
        ),
    ]

    /// Every case, each command in plain output, GitHub Actions and --json modes.
    public static var cases: [Case] {
        var all: [Case] = []
        let lambdaCommands = [
            ["status", "--service", "api", "--env", "prod"],
            ["rollback", "--service", "api", "--env", "prod", "--to", "1"],
            ["rollback", "--service", "api", "--env", "prod"],
            ["promote", "--service", "api", "--env", "prod", "--version", "2"],
        ]
        for (name, answer) in lambdaAnswers {
            all.append(Case(name: "aws: \(name)", answers: ["aws": answer], commands: lambdaCommands))
        }
        let cloudRunCommands = [
            ["status", "--service", "web", "--env", "prod"],
            ["rollback", "--service", "web", "--env", "prod", "--to", "web-00001-abc"],
            ["promote", "--service", "web", "--env", "prod", "--version", "web-00002-abc"],
        ]
        for (name, answer) in cloudRunAnswers {
            all.append(Case(name: "gcloud: \(name)", answers: ["gcloud": answer], commands: cloudRunCommands))
        }
        for (name, answers) in terraformAnswers {
            all.append(
                Case(
                    name: "terraform: \(name)", answers: answers,
                    commands: [["promote", "--service", "infra", "--env", "prod"]]))
        }
        return all
    }
}
