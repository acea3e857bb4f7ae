import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// Text that anyone who can append to the audit log (the CI role can) or who
/// writes a smoke test's output controls, met by the pages people read: the
/// HTML report and the GitHub job summary carry it as text, never as markup.
final class InjectionTests: WorldTestCase {
    override class var startsPrometheus: Bool { false }

    /// Markup for HTML, SVG and Markdown at once.
    static let hostile =
        "pass\"><script>alert(1)</script><svg onload=alert(2)>' onmouseover='x\n### ✅ succeeded\n```mermaid\n"
        + "graph TD; A-->B\n```\n[click](https://evil.example.com) ![i](https://evil.example.com/i.png) ~~~\n| x | y |"

    func testHostileTextInEveryFieldOfEveryRecordKindStaysTextInTheHTMLReport() async throws {
        let config = try world.writeConfig(SampleConfig.oneStepInWorld(function: "never-called"))
        let store = LocalStateStore(directory: world.directory.appendingPathComponent("state"))
        let deployment = "api-prod-hostile"
        let text = JSONValue.string(Self.hostile)
        let actions = [
            AuditAction.deploymentStart, AuditAction.terraformApply, AuditAction.versionPublish,
            AuditAction.trafficShift,
            AuditAction.smoke, AuditAction.analysis, AuditAction.trafficRevert, AuditAction.flagSet,
            AuditAction.rollback,
            AuditAction.lockTakeover, AuditAction.deploymentResume, AuditAction.deploymentHold,
            AuditAction.trafficComplete,
            AuditAction.deploymentFinish,
        ]
        let fields = [
            "stable", "canary", "target", "steps", "test", "detail", "version", "metric", "query", "threshold",
            "reason",
            "verdict", "to", "from", "flag", "store", "value", "split", "error",
        ]
        for action in actions {
            var args = Dictionary(uniqueKeysWithValues: fields.map { ($0, text) })
            args["weight"] = .number(10)
            args["value"] = action == AuditAction.analysis ? .number(0.5) : text
            args["limits"] = .object(["max": .number(0.1)])
            for phase in [AuditEvent.Phase.intent, .result, .info] {
                try await store.append(
                    AuditEvent(
                        deployment: deployment, service: "api", env: "prod", step: Self.hostile, phase: phase,
                        action: action, args: args, outcome: Self.hostile, durationMs: 5))
            }
        }
        let verification = try await store.verify()
        XCTAssertNil(verification.firstBad)

        let page = world.directory.appendingPathComponent("hostile.html").path
        let run = await world.shipctl(["report", "--deployment", deployment, "--html", page], config: config)
        XCTAssertEqual(run.status, 0, run.output)
        let html = try String(contentsOfFile: page, encoding: .utf8)
        XCTAssertTrue(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "the hostile text should be shown, as text")
        // The page's structure, as an HTML parser reads it: shipctl's own elements only, no handler attribute,
        // and every class one the stylesheet knows.
        let structure = await SystemProcessRunner().run(
            ProcessRequest(
                "python3", ["-c", Self.structure, page], timeout: .seconds(30),
                retry: .never, mutating: false))
        XCTAssertTrue(structure.succeeded, structure.stderr)
        let elements = Set(
            structure.stdout.split(separator: "\n").filter { $0.hasPrefix("tag ") }.map { String($0.dropFirst(4)) })
        XCTAssertTrue(
            elements.isSubset(of: [
                "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "span", "p",
                "section", "article", "code", "ul", "li", "div", "table", "thead", "tbody", "tr", "th", "td",
                "svg", "path", "polyline", "line", "circle", "text", "figure", "figcaption", "strong", "em",
            ]),
            "unexpected elements: \(elements.sorted())")
        let attributes = Set(
            structure.stdout.split(separator: "\n").filter { $0.hasPrefix("attribute ") }.map {
                String($0.dropFirst(10))
            })
        XCTAssertTrue(
            attributes.allSatisfy { !$0.hasPrefix("on") && $0 != "href" && $0 != "src" }, "\(attributes.sorted())")
        let classes = Set(
            structure.stdout.split(separator: "\n").filter { $0.hasPrefix("class ") }.map { String($0.dropFirst(6)) })
        XCTAssertFalse(classes.isEmpty)
        XCTAssertTrue(
            classes.allSatisfy { $0.range(of: "^[a-z-]+$", options: .regularExpression) != nil }, "\(classes.sorted())")
    }

    /// Prints each element, attribute name and class name of the page a parser finds.
    static let structure = """
        import sys
        from html.parser import HTMLParser
        class Walk(HTMLParser):
            def handle_starttag(self, tag, attrs):
                print("tag", tag)
                for name, value in attrs:
                    print("attribute", name)
                    if name == "class":
                        for item in (value or "").split():
                            print("class", item)
        Walk().feed(open(sys.argv[1], encoding="utf-8").read())
        """

    func testSmokeOutputAddsNoMarkdownToTheJobSummary() async throws {
        try await world.createFunction("summary-app", versions: 2)
        let script = world.directory.appendingPathComponent("smoke.sh")
        try "#!/bin/sh\nprintf '%s' \"$HOSTILE\" >&2\nexit 1\n".write(to: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        let config = try world.writeConfig(
            SampleConfig.inWorld(
                services: """
                      api:
                        provider: lambda
                        lambda: { function: summary-app, alias: live }
                        strategy:
                          steps:
                            - { weight: 10, pause: 1s }
                            - { weight: 100 }
                        smoke:
                          - { name: contract, run: ["\(script.path)"] }
                    """, prometheus: false))
        let summary = world.directory.appendingPathComponent("summary.md")
        FileManager.default.createFile(atPath: summary.path, contents: nil)
        world.environment["GITHUB_ACTIONS"] = "true"
        world.environment["GITHUB_STEP_SUMMARY"] = summary.path
        world.environment["HOSTILE"] = Self.hostile

        let run = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config)
        XCTAssertEqual(run.status, 3, run.output)
        let markdown = try String(contentsOf: summary, encoding: .utf8)
        let reverted = try XCTUnwrap(markdown.split(separator: "\n").first { $0.hasPrefix("**Reverted:**") }, markdown)
        XCTAssertTrue(reverted.contains("alert(1)"), "the smoke output should be in the reason: \(reverted)")
        let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.filter { $0.hasPrefix("#") }.count, 1, "one heading, shipctl's own: \(markdown)")
        // shipctl's own chart is the only fenced block; the smoke output's diagram stays inside the reason.
        XCTAssertLessThanOrEqual(lines.filter { $0.hasPrefix("```mermaid") }.count, 1, markdown)
        XCTAssertFalse(
            lines.contains { $0.hasPrefix("graph TD") || $0.hasPrefix("~~~") || $0.hasPrefix("| x |") }, markdown)
        // A link or image needs `](` unescaped; an element needs a raw `<`.
        XCTAssertNil(markdown.range(of: #"(?<!\\)\]\("#, options: .regularExpression), markdown)
        XCTAssertFalse(markdown.contains("<script"), markdown)
        XCTAssertTrue(reverted.contains(#"\[click\]"#), "escaped, the link's text shows as written: \(reverted)")
    }

    /// Two finishes of one deployment (what a lock lost under a runner used to leave) fail `audit verify`,
    /// though every record is correctly chained.
    func testADeploymentThatFinishedTwiceFailsVerify() async throws {
        let config = try world.writeConfig(SampleConfig.oneStepInWorld(function: "never-called"))
        let store = LocalStateStore(directory: world.directory.appendingPathComponent("state"))
        let deployment = "api-prod-deploy-twice"
        try await store.append(
            AuditEvent(
                deployment: deployment, service: "api", env: "prod", step: "start", phase: .info,
                action: AuditAction.deploymentStart, args: ["stable": "1", "canary": "2"]))
        let first = await world.shipctl(["audit", "verify"], config: config)
        for outcome in ["cancelled", "succeeded"] {
            try await store.append(
                AuditEvent(
                    deployment: deployment, service: "api", env: "prod", step: "finish", phase: .info,
                    action: AuditAction.deploymentFinish, args: ["version": "2"], outcome: outcome))
        }
        let twice = await world.shipctl(["audit", "verify"], config: config)

        XCTAssertEqual(first.status, 0, first.output)
        XCTAssertEqual(twice.status, 1, twice.output)
        XCTAssertTrue(
            twice.stderr.contains(
                "deployment \(deployment) finished twice (seq 2: cancelled, then seq 3: succeeded): "
                    + "two runners moved its traffic at once"), twice.stderr)
    }
}
