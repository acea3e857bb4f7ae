import Foundation
import ShipctlKit

/// A reproducible corpus of `shipctl.yaml` files that are each invalid by
/// construction: a full valid config with one or two values swapped for wrong
/// types, absurd numbers, hostile names (shell metacharacters, path traversal,
/// secrets, unknown placeholders), broken structure, broken syntax, bytes that
/// are not text, and sizes and depths meant to exhaust the parser.
public enum HostileConfigCorpus {
    public struct Case: Sendable {
        public var name: String
        public var bytes: [UInt8]
    }

    /// A secret variable the corpus refers to; the caller sets it to `secretValue`.
    public static let secretVariable = "SHIPCTL_FUZZ_TOKEN"
    public static let secretValue = "fuzz-secret-4c1d9e"
    /// Hostile names try to create this file in the working directory.
    public static let markerFile = "PWNED"

    /// Every slot's valid value renders `template` into a config that passes validation.
    public static let template = """
        version: «version»
        state: { dir: «state_dir» }
        timeouts: { provider_call: «provider_call», terraform: 30m }
        environments:
          «env_name»: { region: «region», prometheus: «prometheus» }
        services:
          «service_name»:
            provider: «provider»
            lambda: { function: «function», alias: «alias» }
            terraform:
              dir: «tf_dir»
              vars: { «tf_var»: "dev" }
              version_output: «version_output»
            strategy:
              steps:
                - { weight: «weight1», pause: «pause1» }
                - { weight: «weight2», pause: 2m }
                - { weight: 100 }
            smoke:
              - { name: «smoke_name», invoke: { payload: '{"ping": true}' } }
              - { name: health, http: { url: «smoke_url», status: «smoke_status», timeout: «smoke_timeout» } }
              - { name: contract, run: «smoke_run» }
            analysis:
              interval: «interval»
              failure_limit: «failure_limit»
              inconclusive_limit: «inconclusive_limit»
              metrics:
                - name: «metric_name»
                  prometheus: «query»
                  max: «max»
                - name: cost
                  prometheus: sum(rate(llm_cost_estimate_usd_total{version="{{canary}}"}[5m]))
                  max_ratio_to_baseline: «ratio»
                - name: lambda-errors
                  cloudwatch: { namespace: AWS/Lambda, metric: Errors, stat: «stat», period: «period», dimensions: { FunctionName: micro-app-api } }
                  max: 0
            on_failure:
              revert: «revert»
              flags:
                - { ssm: «ssm_path», value: small-llm }
                - { file: «flag_file», flag: new-recs, variant: "off" }

        """

    static let hostileNames = [
        "\"api; rm -rf /\"", "\"$(touch \(markerFile))\"", "\"`touch \(markerFile)`\"", "\"a && touch \(markerFile)\"",
        "\"| touch \(markerFile)\"", "\"../../etc/passwd\"", "\"..\"", "\"-rf\"", "\"--endpoint-url=http://evil\"",
        "\"a b\"",
        "\"a\\nb\"", "\"名前\"", "\"\"", "\"x'y\"", "'${\(secretVariable)}'", "'${SHIPCTL_FUZZ_UNSET}'", "'{{nope}}'",
        "'${'",
        "[a]", "{a: b}", "~", String(repeating: "a", count: 300),
    ]
    static let hostileKeys = [
        "\"api; rm -rf /\"", "\"$(touch \(markerFile))\"", "\"../../etc\"", "\"-rf\"", "\"a b\"", "\"\"", "\"名前\"",
        "[a]", "~",
        "'${\(secretVariable)}'", String(repeating: "k", count: 300),
    ]
    static let hostileDurations = [
        "-5s", "5 parsecs", "99999999999999h", "1e400s", "\"\"", "[1s]", "s", "5", "NaNs", "9223372036854775807s",
        "1.5.5s", "~", "{a: 1}", "1s1", "'${SHIPCTL_FUZZ_UNSET}'",
    ]
    static let hostileCounts = ["-1", "1.5", "one", "99999999999999999999", "[]", "~", "0x1", "1e3", "\"\""]
    static let hostileNumbers = ["low", ".nan", ".inf", "-.inf", "[]", "~", "0x1", "{a: 1}", "1e999", "\"\""]
    static let hostileURLs = [
        "\"ftp://x\"", "\"not a url\"", "\"http://\"", "\"$(touch \(markerFile))\"", "[]", "\"javascript:alert(1)\"",
        "\"http://exa mple.com\"", "'${SHIPCTL_FUZZ_UNSET}'", "~", "\"file:///etc/passwd\"",
    ]

    /// Each slot: its valid value, and values that must each be rejected there.
    static let slots: [(name: String, valid: String, bad: [String])] = [
        ("version", "1", ["2", "\"one\"", "[1]", "{a: 1}", "-1", "99999999999999999999", "~", "1.5", "0x1"]),
        (
            "state_dir", ".shipctl",
            [
                "\"../../../etc\"", "\"$(touch \(markerFile))\"", "\"a b\"", "[]", "~", "'${\(secretVariable)}'",
                "\"state/../..\"", "\"-x\"",
            ]
        ),
        ("provider_call", "30s", ["0s", "2h", "soon", "[]"] + hostileDurations),
        ("env_name", "prod", hostileKeys),
        ("region", "us-east-1", hostileNames),
        ("prometheus", "http://127.0.0.1:9090", hostileURLs),
        ("service_name", "api", hostileKeys),
        (
            "provider", "lambda",
            [
                "kubernetes", "\"\"", "[lambda]", "\"lambda; rm -rf /\"", "{a: 1}", "LAMBDA", "~",
                "'${SHIPCTL_FUZZ_UNSET}'",
            ]
        ),
        ("function", "micro-app-api", hostileNames),
        ("alias", "live", hostileNames),
        (
            "tf_dir", "infra/envs/{{env}}",
            hostileNames.filter { $0 != "\"名前\"" } + ["\"infra/../../..\"", "\"/etc/../root\""]
        ),
        ("tf_var", "git_sha", hostileKeys),
        ("version_output", "function_version", hostileNames),
        (
            "weight1", "10",
            [
                "ten", "-1", "101", "1e309", ".nan", ".inf", "-.inf", "100.5", "[10]", "{w: 1}", "\"\"",
                "99999999999999999999999", "0x10", "~", "75",
            ]
        ),
        ("weight2", "50", ["5", "-50", "1000", "fifty", ".nan", "[50]", "~", "0x32"]),
        ("pause1", "60s", hostileDurations + ["25h"]),
        ("smoke_name", "invoke", hostileNames),
        ("smoke_url", "\"http://127.0.0.1:1/health\"", hostileURLs),
        ("smoke_status", "200", ["999", "\"ok\"", "-1", "[]", "99", "1e3", "~", "200.5"]),
        ("smoke_timeout", "5s", ["0s", "-1s", "2h", "never", "[]"] + hostileDurations),
        (
            "smoke_run", "[\"./scripts/smoke.sh\", \"{{canary}}\"]",
            [
                "[]", "\"./smoke.sh {{canary}}\"", "[\"\"]", "{cmd: x}", "~", "[\"./x\", \"{{nope}}\"]",
                "[\"./x\", [nested]]", "[\"${SHIPCTL_FUZZ_UNSET}\"]",
            ]
        ),
        ("interval", "10s", ["0s", "-1s", "often", "1e9h", "2h", "[]"]),
        ("failure_limit", "1", hostileCounts),
        ("inconclusive_limit", "3", hostileCounts),
        ("metric_name", "error-rate", hostileNames),
        (
            "query", "'sum(rate(x{version=\"{{canary}}\"}[1m]))'",
            ["\"\"", "[]", "{}", "~", "'${SHIPCTL_FUZZ_UNSET}'", "'x{v=\"{{nope}}\"}'"]
        ),
        ("max", "0.02", hostileNumbers),
        ("ratio", "1.25", hostileNumbers + ["-1"]),
        ("stat", "Sum", ["Median", "[Sum]", "\"\"", "\"Sum; rm\"", "~"]),
        ("period", "60", ["-60", "0", "minute", "1.5", "[]", "~"]),
        ("revert", "true", ["maybe", "2", "[]", "~", "\"yes please\""]),
        (
            "ssm_path", "/micro-app/{{env}}/MODEL_PROVIDER",
            [
                "\"/micro-app/$(touch \(markerFile))\"", "\"../x\"", "\"a b\"", "\"/x/../y\"", "[]", "~", "\"/a;b\"",
                "'${\(secretVariable)}'",
            ]
        ),
        (
            "flag_file", "flags/flagd.json",
            ["\"../../etc/passwd\"", "\"flags/../../x\"", "\"$(touch \(markerFile))\"", "\"a b\"", "[]", "~"]
        ),
    ]

    public static func render(_ overrides: [String: String] = [:]) -> String {
        var text = template
        for slot in slots {
            text = text.replacingOccurrences(of: "«\(slot.name)»", with: overrides[slot.name] ?? slot.valid)
        }
        return text
    }

    public static var valid: String { render() }

    /// Structural damage: unknown, duplicate and missing keys, wrong shapes, odd documents.
    static func structural() -> [(String, String)] {
        let base = valid
        var cases: [(String, String)] = []
        let edits: [(String, String, String)] = [
            ("unknown top-level key", "version: 1\n", "version: 1\nreplicas: 3\n"),
            ("misspelt service key", "    provider: lambda\n", "    providr: lambda\n    provider: lambda\n"),
            ("unknown step key", "- { weight: 100 }", "- { weight: 100, surge: 1 }"),
            ("unknown smoke key", "- { name: contract,", "- { name: contract, shell: true,"),
            ("unknown analysis key", "      interval: 10s\n", "      interval: 10s\n      intervall: 5s\n"),
            ("unknown flag store", "        - { ssm:", "        - { consul: x }\n        - { ssm:"),
            ("unknown on_failure key", "      revert: true\n", "      revert: true\n      page: oncall\n"),
            ("unknown environment key", "region: us-east-1,", "region: us-east-1, zone: a,"),
            ("duplicate provider", "    provider: lambda\n", "    provider: lambda\n    provider: lambda\n"),
            ("duplicate version", "version: 1\n", "version: 1\nversion: 1\n"),
            ("duplicate service", "services:\n", "services:\n  api:\n    provider: lambda\n"),
            ("missing version", "version: 1\n", ""),
            ("missing provider", "    provider: lambda\n", ""),
            ("missing function", "function: micro-app-api, ", ""),
            ("missing threshold", "          max: 0.02\n", ""),
            ("renamed services", "services:\n", "servicez:\n"),
            ("renamed environments", "environments:\n", "environmentz:\n"),
            ("steps as mapping", "      steps:\n", "      steps: { weight: 10 }\n      stepz:\n"),
            ("steps and preset", "    strategy:\n", "    strategy:\n      preset: AllAtOnce\n"),
            (
                "unknown preset", "    strategy:\n      steps:\n",
                "    strategy:\n      preset: Canary99Percent99Years\n      stepz:\n"
            ),
            (
                "metric with two sources", "          max: 0.02\n",
                "          max: 0.02\n          cloudwatch: { namespace: AWS/Lambda, metric: Errors, stat: Sum, period: 60 }\n"
            ),
            (
                "smoke with two kinds", "- { name: contract, run:",
                "- { name: contract, http: { url: \"http://127.0.0.1:1/\" }, run:"
            ),
            ("services as list", "services:\n  api:\n", "services:\n  - api\n  api2:\n"),
            ("undefined alias", "    provider: lambda\n", "    provider: *nope\n"),
            ("two documents", "version: 1\n", "version: 1\n---\nversion: 1\n"),
        ]
        for (name, from, to) in edits {
            precondition(base.contains(from), "corpus edit `\(name)` does not apply")
            cases.append((name, base.replacingOccurrences(of: from, with: to)))
        }
        for (name, text) in [
            ("empty file", ""), ("only a comment", "# shipctl\n"), ("null document", "~\n"), ("a number", "42\n"),
            ("a string", "hello\n"), ("a list", "[1, 2]\n"), ("only version", "version: 1\n"),
            ("BOM then list", "\u{FEFF}- a\n"),
        ] {
            cases.append((name, text))
        }
        // Aliases that expand to a billion nodes if anything walks them naively.
        var laughs = [
            "version: 1", "environments:", "  prod: { region: us-east-1 }",
            "x0: &x0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]",
        ]
        for level in 1...12 {
            laughs.append(
                "x\(level): &x\(level) [" + Array(repeating: "*x\(level - 1)", count: 10).joined(separator: ", ") + "]")
        }
        laughs.append(
            "services:\n  api:\n    provider: lambda\n    lambda: { function: f }\n    smoke: *x12\n    strategy: { steps: *x12 }"
        )
        cases.append(("billion laughs", laughs.joined(separator: "\n")))
        cases.append(
            (
                "flow nesting 100k deep",
                "version: 1\nservices: " + String(repeating: "[", count: 100_000)
                    + String(repeating: "]", count: 100_000)
            ))
        let block = (0..<600).map { String(repeating: " ", count: $0 + 1) + "a\($0):" }.joined(separator: "\n")
        cases.append(("block nesting 600 deep", "version: 1\nservices:\n" + block))
        cases.append(
            (
                "10 MB of comments",
                base + String(repeating: "# padding padding padding padding padding padding padding\n", count: 180_000)
            ))
        cases.append(
            (
                "2 MB of comments",
                base + String(repeating: "# padding padding padding padding padding padding padding\n", count: 36_000)
            ))
        cases.append(
            (
                "900 KB function name",
                base.replacingOccurrences(
                    of: "function: micro-app-api", with: "function: " + String(repeating: "f", count: 900_000))
            ))
        cases.append(("20 000 unknown keys", base + (0..<20_000).map { "k\($0): 1" }.joined(separator: "\n")))
        return cases
    }

    /// Byte-level and syntax damage at seeded random places.
    static func syntax(count: Int, random: inout SeededRandom) -> [(String, [UInt8])] {
        let lines = valid.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // Only lines where these edits cannot yield another valid document: a
        // quote or brace at the end of a plain scalar would just become part of it.
        let editable = lines.indices.filter { lines[$0].hasSuffix("}") || lines[$0].hasSuffix(":") }
        var cases: [(String, [UInt8])] = []
        for index in 0..<count {
            var edited = lines
            let line = editable[random.next(below: editable.count)]
            let kind = index % 7
            var name: String
            switch kind {
            case 0:
                edited[line] = "\t" + edited[line].drop { $0 == " " }
                name = "tab indentation on line \(line + 1)"
            case 1:
                edited[line] += " \"unterminated"
                name = "unterminated quote on line \(line + 1)"
            case 2:
                edited[line] += " {"
                name = "unclosed brace on line \(line + 1)"
            case 3:
                if let close = edited[line].lastIndex(of: "}") {
                    edited[line].remove(at: close)
                    name = "missing brace on line \(line + 1)"
                } else {
                    edited[line] += " [a, b"
                    name = "unclosed bracket on line \(line + 1)"
                }
            default:
                var bytes = Array(edited.joined(separator: "\n").utf8)
                let at = random.next(below: bytes.count)
                let inserted: [UInt8]
                switch kind {
                case 4:
                    inserted = [0]
                    name = "NUL byte at \(at)"
                case 5:
                    inserted = [0xFF, 0xFE]
                    name = "invalid UTF-8 at \(at)"
                default:
                    let control = UInt8([1, 2, 3, 4, 5, 6, 7, 8, 0x0E, 0x10, 0x1B, 0x1F][random.next(below: 12)])
                    inserted = [control]
                    name = "control byte \(control) at \(at)"
                }
                bytes.insert(contentsOf: inserted, at: at)
                cases.append((name, bytes))
                continue
            }
            cases.append((name, Array(edited.joined(separator: "\n").utf8)))
        }
        return cases
    }

    /// At least `minimum` cases, the same ones for the same seed.
    public static func generate(minimum: Int = 1000, seed: UInt64 = 0x5EED) -> [Case] {
        var random = SeededRandom(seed: seed)
        var cases: [Case] = []
        for slot in slots {
            for (position, bad) in slot.bad.enumerated() {
                cases.append(
                    Case(
                        name: "\(slot.name) = \(bad.prefix(40)) [\(position)]",
                        bytes: Array(render([slot.name: bad]).utf8)))
            }
        }
        cases += structural().map { Case(name: $0.0, bytes: Array($0.1.utf8)) }
        cases += syntax(count: 280, random: &random).map { Case(name: $0.0, bytes: $0.1) }
        // Fill up with pairs of bad values in different slots: each alone is rejected, so both together are.
        while cases.count < minimum {
            let first = random.next(below: slots.count)
            var second = random.next(below: slots.count)
            if second == first { second = (second + 1) % slots.count }
            let a = slots[first]
            let b = slots[second]
            let badA = a.bad[random.next(below: a.bad.count)]
            let badB = b.bad[random.next(below: b.bad.count)]
            cases.append(
                Case(
                    name: "\(a.name) = \(badA.prefix(30)) and \(b.name) = \(badB.prefix(30))",
                    bytes: Array(render([a.name: badA, b.name: badB]).utf8)))
        }
        return cases
    }
}
