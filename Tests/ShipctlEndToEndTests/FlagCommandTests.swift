import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// `flags set` / `flags list` against every kind of flag store — SSM in moto, a
/// flagd file, and the Unleash and LaunchDarkly admin-API fakes — and a failed
/// canary flipping Unleash and LaunchDarkly flags by itself.
final class FlagCommandTests: WorldTestCase {
    static let unleashToken = "unleash-admin-token-0451"
    static let launchDarklyToken = "api-ld-token-7f3c9e"

    /// The `on_failure.flags` of a service that names one flag of each kind.
    static let flags = """
              flags:
                - { ssm: "/micro-app/{{env}}/MODEL_PROVIDER", value: small-llm }
                - { file: flags/flagd.json, flag: summariser, variant: "off" }
                - { unleash: { url: "${UNLEASH_URL}", project: default, feature: new-recs, environment: production, token: "${UNLEASH_TOKEN}" }, enabled: false }
                - { launchdarkly: { url: "${LAUNCHDARKLY_URL}", project: micro-app, flag: model-tier, environment: production, token: "${LD_TOKEN}" }, variation: small }
        """

    /// Features and flags in the fakes, both switched on, and a flagd file beside the config.
    private func seedFlagServices(configFolder: String) async throws {
        world.environment["UNLEASH_URL"] = world.flagServiceURL
        world.environment["LAUNCHDARKLY_URL"] = world.flagServiceURL
        world.environment["UNLEASH_TOKEN"] = Self.unleashToken
        world.environment["LD_TOKEN"] = Self.launchDarklyToken
        try await world.flagService(
            "POST", "/fake/seed",
            body: """
                {"unleash": {"tokens": {"\(Self.unleashToken)": "write", "read-only-token-123": "read"},
                             "features": [{"project": "default", "name": "new-recs", "environments": {"production": true, "development": true}}]},
                 "launchdarkly": {"tokens": {"\(Self.launchDarklyToken)": "write"},
                                  "flags": [{"project": "micro-app", "key": "model-tier", "variations": ["large", "small"],
                                             "environments": {"production": {"on": true, "fallthrough": 0, "offVariation": 1}}}]}}
                """)
        let flagd = URL(fileURLWithPath: configFolder).appendingPathComponent("flags")
        try FileManager.default.createDirectory(at: flagd, withIntermediateDirectories: true)
        try """
        {"flags": {"summariser": {"state": "DISABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"}}}
        """.write(to: flagd.appendingPathComponent("flagd.json"), atomically: true, encoding: .utf8)
        _ = try await world.aws([
            "ssm", "put-parameter", "--name", "/micro-app/prod/MODEL_PROVIDER", "--value", "large-llm", "--type",
            "String", "--overwrite",
        ])
    }

    private func configWithEveryStore(function: String = "flag-app") throws -> String {
        try world.writeConfig(
            SampleConfig.inWorld(
                services: """
                      api:
                        provider: lambda
                        lambda: { function: \(function), alias: live }
                        strategy:
                          steps:
                            - { weight: 100 }
                        on_failure:
                    \(Self.flags)
                    """, prometheus: false))
    }

    private func flagState() async throws -> (unleash: Bool?, launchDarklyOn: Bool?, launchDarklyServes: String?) {
        let state = try await world.flagService("GET", "/fake/state")
        let tier = state?["launchdarkly"]?["micro-app/model-tier"]?["production"]
        return (
            state?["unleash"]?["default/new-recs"]?["production"]?.boolValue, tier?["on"]?.boolValue,
            tier?["served"]?.stringValue
        )
    }

    func testFlagsSetFlipsEachKindOfStoreRecordsTheActorAndListShowsLiveValues() async throws {
        let config = try configWithEveryStore()
        let folder = (config as NSString).deletingLastPathComponent
        try await seedFlagServices(configFolder: folder)
        world.environment["USER"] = "oncall-ana"

        let before = await world.shipctl(["flags", "list", "--service", "api", "--env", "prod"], config: config)
        XCTAssertEqual(before.status, 0, before.output)
        XCTAssertEqual(
            before.stdout.split(separator: "\n").map(String.init),
            [
                "ssm /micro-app/prod/MODEL_PROVIDER = large-llm  (on failure: small-llm)",
                "file summariser = on  (on failure: off)",
                "unleash new-recs = true  (on failure: false)",
                "launchdarkly model-tier = large  (on failure: small)",
            ])

        for assignment in [
            "/micro-app/prod/MODEL_PROVIDER=small-llm", "summariser=off", "new-recs=false", "model-tier=small",
        ] {
            let run = await world.shipctl(
                ["flags", "set", assignment, "--service", "api", "--env", "prod", "--reason", "cost surge"],
                config: config)
            XCTAssertEqual(run.status, 0, "\(assignment): \(run.output)")
        }

        let ssm = try await world.ssmValue("/micro-app/prod/MODEL_PROVIDER")
        XCTAssertEqual(ssm, "small-llm")
        let flagd = try JSONValue.parse(String(contentsOfFile: folder + "/flags/flagd.json", encoding: .utf8))
        XCTAssertEqual(flagd?["flags"]?["summariser"]?["defaultVariant"]?.stringValue, "off")
        XCTAssertEqual(flagd?["flags"]?["summariser"]?["state"]?.stringValue, "ENABLED")
        XCTAssertNotNil(flagd?["flags"]?["summariser"]?["variants"]?["on"], "the rest of the flag was lost")
        let services = try await flagState()
        XCTAssertEqual(services.unleash, false)
        XCTAssertEqual(services.launchDarklyOn, true)
        XCTAssertEqual(services.launchDarklyServes, "small")

        let after = await world.shipctl(
            ["flags", "list", "--service", "api", "--env", "prod", "--json"], config: config)
        XCTAssertEqual(after.status, 0, after.output)
        let live = after.stdout.split(separator: "\n").compactMap { JSONValue.parse(String($0)) }
            .reduce(into: [String: String]()) { $0[$1["flag"]?.stringValue ?? ""] = $1["live"]?.stringValue }
        XCTAssertEqual(
            live,
            [
                "/micro-app/prod/MODEL_PROVIDER": "small-llm", "summariser": "off", "new-recs": "false",
                "model-tier": "small",
            ])

        let flips = try world.auditRecords().filter { $0["action"]?.stringValue == "flag.set" }
        XCTAssertEqual(flips.count, 8, "an intent and a result per flip")
        for record in flips {
            XCTAssertEqual(record["actor"]?.stringValue, "oncall-ana")
            XCTAssertEqual(record["args"]?["reason"]?.stringValue, "cost surge")
        }
        XCTAssertEqual(
            flips.filter { $0["phase"]?.stringValue == "result" }.compactMap { $0["args"]?["store"]?.stringValue },
            ["ssm", "file", "unleash", "launchdarkly"])
        XCTAssertTrue(flips.allSatisfy { $0["phase"]?.stringValue == "intent" || $0["outcome"]?.stringValue == "ok" })
        let log = try String(contentsOfFile: world.auditLogPath, encoding: .utf8)
        XCTAssertFalse(
            log.contains(Self.unleashToken) || log.contains(Self.launchDarklyToken), "a token reached the audit log")
        let verify = await world.shipctl(["audit", "verify"], config: config)
        XCTAssertEqual(verify.status, 0, verify.output)

        let unknown = await world.shipctl(
            ["flags", "set", "MODEL_PROVIDER=small-llm", "--service", "api", "--env", "prod"], config: config)
        XCTAssertEqual(unknown.status, 2, unknown.output)
        XCTAssertTrue(
            unknown.stderr.contains(
                "names no flag `MODEL_PROVIDER`; the flags it names in prod are: /micro-app/prod/MODEL_PROVIDER, summariser, new-recs, model-tier"
            ),
            unknown.stderr)
        let noValue = await world.shipctl(
            ["flags", "set", "new-recs", "--service", "api", "--env", "prod"], config: config)
        XCTAssertEqual(noValue.status, 2, noValue.output)
        XCTAssertTrue(noValue.stderr.contains("expected NAME=VALUE"), noValue.stderr)
        let notABoolean = await world.shipctl(
            ["flags", "set", "new-recs=maybe", "--service", "api", "--env", "prod"], config: config)
        XCTAssertEqual(notABoolean.status, 2, notABoolean.output)
        XCTAssertEqual(
            try world.auditRecords().filter { $0["action"]?.stringValue == "flag.set" }.count, 8,
            "a refused flip was recorded")
    }

    func testRateLimitsAreRetriedAndRefusalsAreNot() async throws {
        let config = try configWithEveryStore()
        try await seedFlagServices(configFolder: (config as NSString).deletingLastPathComponent)

        try await world.flagService(
            "POST", "/fake/faults", body: #"{"service": "unleash", "status": 429, "count": 2, "retry_after": 0}"#)
        try await world.flagService(
            "POST", "/fake/faults",
            body: #"{"service": "launchdarkly", "status": 429, "count": 1, "retry_after": 0.05}"#)
        let throttled = await world.shipctl(
            ["flags", "set", "new-recs=false", "--service", "api", "--env", "prod"], config: config)
        XCTAssertEqual(throttled.status, 0, throttled.output)
        let throttledLD = await world.shipctl(
            ["flags", "set", "model-tier=false", "--service", "api", "--env", "prod"], config: config)
        XCTAssertEqual(throttledLD.status, 0, throttledLD.output)
        var requests = try await world.flagServiceRequests()
        XCTAssertEqual(
            requests.filter { $0["service"]?.stringValue == "unleash" }.compactMap { $0["status"]?.doubleValue },
            [429, 429, 200])
        XCTAssertEqual(
            requests.filter { $0["service"]?.stringValue == "launchdarkly" }.compactMap { $0["status"]?.doubleValue },
            [429, 200])
        let patch = requests.last { $0["method"]?.stringValue == "PATCH" }
        XCTAssertEqual(patch?["content_type"]?.stringValue, "application/json; domain-model=launchdarkly.semanticpatch")
        XCTAssertEqual(JSONValue.parse(patch?["body"]?.stringValue ?? "")?["instructions"], [["kind": "turnFlagOff"]])
        var state = try await flagState()
        XCTAssertEqual(state.unleash, false)
        XCTAssertEqual(state.launchDarklyOn, false)

        world.environment["UNLEASH_TOKEN"] = "expired-token-0000"
        let refused = await world.shipctl(
            ["flags", "set", "new-recs=true", "--service", "api", "--env", "prod"], config: config)
        XCTAssertEqual(refused.status, 1, refused.output)
        XCTAssertTrue(refused.stderr.contains("Unleash answered 401 AuthenticationRequired"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("token was refused"), refused.stderr)
        XCTAssertFalse(refused.output.contains("expired-token-0000"), "the token was printed")
        requests = try await world.flagServiceRequests()
        XCTAssertEqual(requests.filter { $0["service"]?.stringValue == "unleash" }.count, 4, "a 401 was tried again")
        state = try await flagState()
        XCTAssertEqual(state.unleash, false)
        let failed = try world.auditRecords().last { $0["action"]?.stringValue == "flag.set" }
        XCTAssertEqual(failed?["outcome"]?.stringValue, "failed")

        world.environment["LD_TOKEN"] = Self.launchDarklyToken
        let missing = try world.writeConfig(
            SampleConfig.inWorld(
                services: """
                      api:
                        provider: lambda
                        lambda: { function: flag-app, alias: live }
                        strategy: { steps: [ { weight: 100 } ] }
                        on_failure:
                          flags:
                            - { launchdarkly: { url: "${LAUNCHDARKLY_URL}", project: micro-app, flag: no-such-flag, environment: production, token: "${LD_TOKEN}" }, enabled: false }
                    """, prometheus: false))
        let notFound = await world.shipctl(
            ["flags", "set", "no-such-flag=false", "--service", "api", "--env", "prod"], config: missing)
        XCTAssertEqual(notFound.status, 1, notFound.output)
        XCTAssertTrue(notFound.stderr.contains("LaunchDarkly answered 404 not_found"), notFound.stderr)
        XCTAssertTrue(
            notFound.stderr.contains(
                "check `project` (micro-app), `flag` (no-such-flag) and `environment` (production)"), notFound.stderr)
    }

    func testAFailedCanaryFlipsUnleashAndLaunchDarklyFlags() async throws {
        try await world.createFunction("flagged-app", versions: 2)
        try await world.setBehaviour(version: "2", errorRate: 0.4)
        let config = try world.writeConfig(
            SampleConfig.inWorld(
                services: """
                      api:
                        provider: lambda
                        lambda: { function: flagged-app, alias: live }
                        strategy:
                          steps:
                            - { weight: 10, pause: 30s }
                            - { weight: 100 }
                        analysis:
                          interval: 1s
                          failure_limit: 1
                          inconclusive_limit: 6
                          metrics:
                            - name: error-rate
                              prometheus: sum(rate(llm_requests_total{function="{{function}}",version="{{canary}}",status="error"}[30s])) / sum(rate(llm_requests_total{function="{{function}}",version="{{canary}}"}[30s]))
                              max: 0.02
                        on_failure:
                          revert: true
                          flags:
                            - { unleash: { url: "${UNLEASH_URL}", project: default, feature: new-recs, environment: production, token: "${UNLEASH_TOKEN}" }, enabled: false }
                            - { launchdarkly: { url: "${LAUNCHDARKLY_URL}", project: micro-app, flag: model-tier, environment: production, token: "${LD_TOKEN}" }, variation: small }
                    """))
        try await seedFlagServices(configFolder: (config as NSString).deletingLastPathComponent)

        let run = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config)

        XCTAssertEqual(run.status, 3, run.output)
        let alias = try await world.alias("flagged-app")
        XCTAssertEqual(alias.version, "1")
        XCTAssertTrue(alias.weights.isEmpty, "routing config left behind: \(alias.weights)")
        let state = try await flagState()
        XCTAssertEqual(state.unleash, false)
        XCTAssertEqual(state.launchDarklyOn, true)
        XCTAssertEqual(state.launchDarklyServes, "small")
        let records = try world.auditRecords()
        let revert = records.firstIndex {
            $0["action"]?.stringValue == "traffic.revert" && $0["phase"]?.stringValue == "intent"
        }
        let flips = records.enumerated().filter {
            $0.element["action"]?.stringValue == "flag.set" && $0.element["phase"]?.stringValue == "result"
        }
        XCTAssertEqual(flips.map { $0.element["args"]?["store"]?.stringValue }, ["unleash", "launchdarkly"])
        XCTAssertTrue(flips.allSatisfy { $0.element["outcome"]?.stringValue == "ok" })
        XCTAssertLessThan(revert ?? .max, flips.first?.offset ?? -1, "the revert's intent comes before the flips")
    }

    /// Eight `flags set` at once on one flagd file behind a symbolic link: every flip survives, the
    /// file keeps its mode and owner, and the link still points at the file the daemon reads.
    func testConcurrentFileFlipsAllSurviveKeepModeAndOwnerAndFollowTheLink() async throws {
        let names = (1...8).map { "f\($0)" }
        let config = try world.writeConfig(
            SampleConfig.oneStepInWorld(
                function: "flag-app",
                flags: names.map { "{ file: flags/link.json, flag: \($0), variant: \"off\" }" }))
        let folder = URL(fileURLWithPath: (config as NSString).deletingLastPathComponent)
        let real = folder.appendingPathComponent("daemon/flagd.json")
        try FileManager.default.createDirectory(at: real.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(
            at: folder.appendingPathComponent("flags"), withIntermediateDirectories: true)
        let flags = names.map {
            "\"\($0)\": {\"state\": \"ENABLED\", \"variants\": {\"on\": true, \"off\": false}, \"defaultVariant\": \"on\"}"
        }
        try "{\"flags\": {\(flags.joined(separator: ", "))}}".write(to: real, atomically: true, encoding: .utf8)
        XCTAssertEqual(chown(real.path, 4321, 4322), 0)
        XCTAssertEqual(chmod(real.path, 0o640), 0)
        try FileManager.default.createSymbolicLink(
            atPath: folder.appendingPathComponent("flags/link.json").path, withDestinationPath: "../daemon/flagd.json")

        let world = self.world!
        let runs = await withTaskGroup(of: ShipctlRun.self) { group in
            for name in names {
                group.addTask {
                    await world.shipctl(
                        ["flags", "set", "\(name)=off", "--service", "api", "--env", "prod"], config: config)
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        XCTAssertEqual(runs.map(\.status), Array(repeating: 0, count: 8), runs.map(\.output).joined(separator: "\n"))

        let document = try XCTUnwrap(JSONValue.parse(String(contentsOf: real, encoding: .utf8)))
        XCTAssertEqual(
            names.map { document["flags"]?[$0]?["defaultVariant"]?.stringValue }, Array(repeating: "off", count: 8))
        var status = stat()
        XCTAssertEqual(stat(real.path, &status), 0)
        XCTAssertEqual(status.st_mode & 0o7777, 0o640)
        XCTAssertEqual([status.st_uid, status.st_gid], [4321, 4322])
        let link = folder.appendingPathComponent("flags/link.json").path
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link), "../daemon/flagd.json")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: real.deletingLastPathComponent().path)
            .sorted()
        XCTAssertEqual(leftovers, ["flagd.json", "flagd.json.lock"], "no temporary file is left beside it")
    }
}
