import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// `shipctl report` after a failed canary, looked at the way a person would: the
/// page rendered by headless Chromium, its screenshot and the text of its DOM.
final class ReportTests: WorldTestCase {

    /// Runs Debian's chromium headless on `page` with `arguments`; returns stdout.
    func chromium(_ arguments: [String], page: String) async throws -> String {
        let profile = world.directory.appendingPathComponent("chromium-profile").path
        let result = await SystemProcessRunner(environment: ProcessInfo.processInfo.environment).run(
            ProcessRequest(
                "chromium",
                ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile)"] + arguments + [
                    URL(fileURLWithPath: page).absoluteString
                ],
                timeout: .seconds(120), retry: .never, mutating: true))
        guard result.succeeded else {
            throw TestWorldError("chromium \(arguments) failed (\(result.status)): \(result.stderr)")
        }
        return result.stdout
    }

    /// A log written by the shipctl before the deployment journal (see the test that reads it).
    static let fixture = "Tests/Fixtures/audit-before-journal.jsonl"

    /// A configuration of the demo's service whose state folder holds `log` as its audit log.
    func configReading(log: String) throws -> String {
        let state = world.directory.appendingPathComponent("state")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        try log.write(to: state.appendingPathComponent("audit.jsonl"), atomically: true, encoding: .utf8)
        return try world.writeConfig(
            LambdaPromoteTests.config(function: "micro-app-api", steps: LambdaPromoteTests.threeSteps))
    }

    func testAFailedCanaryReportRendersInABrowserAndNamesWhatFailed() async throws {
        try await world.createFunction("report-app", versions: 2)
        try await world.setBehaviour(version: "2", errorRate: 0.4)
        let steps = """
                      - { weight: 10, pause: 30s }
                      - { weight: 100 }
            """
        let config = try world.writeConfig(LambdaPromoteTests.config(function: "report-app", steps: steps))
        let promote = await world.shipctl(
            ["promote", "--service", "api", "--env", "prod", "--version", "2"], config: config)
        XCTAssertEqual(promote.status, 3, promote.output)
        let failed = try XCTUnwrap(
            world.auditRecords().last {
                $0["action"]?.stringValue == "analysis" && $0["outcome"]?.stringValue == "fail"
            })
        let failedValue = MetricEvaluation.format(try XCTUnwrap(failed["args"]?["value"]?.doubleValue))

        let page = world.directory.appendingPathComponent("r.html").path
        let report = await world.shipctl(["report", "--deployment", "latest", "--html", page], config: config)
        XCTAssertEqual(report.status, 0, report.output)
        XCTAssertTrue(
            report.stdout.contains("api/prod") && report.stdout.contains("rolled-back")
                && report.stdout.contains(
                    "error-rate failed at \(failedValue) (max 0.02) with 10% of traffic on the new version"),
            report.stdout)

        // Self-contained: nothing for a browser to fetch.
        let html = try String(contentsOfFile: page, encoding: .utf8)
        for fetching in ["<script", "<link", "<img", "<iframe", "src=", "href=", "url(", "@import"] {
            XCTAssertFalse(html.lowercased().contains(fetching), "the page would load something: \(fetching)")
        }

        let dom = try await chromium(["--dump-dom"], page: page)
        let text = dom.replacingOccurrences(of: "<[^>]+>", with: " ", options: .regularExpression)
        for expected in [
            "rolled-back", "error-rate", "max 0.02", failedValue, "Reverted", "traffic.revert", "p95-latency",
        ] {
            XCTAssertTrue(text.contains(expected), "the page should show \(expected)")
        }
        XCTAssertTrue(
            text.contains("sum(rate(llm_requests_total{function=\"report-app\",version=\"2\",status=\"error\"}[30s]))")
                || text.contains(
                    "sum(rate(llm_requests_total{function=&quot;report-app&quot;,version=&quot;2&quot;,status=&quot;error&quot;}[30s]))"
                ),
            "the resolved query, with the canary filled in")

        let screenshot = world.directory.appendingPathComponent("r.png").path
        _ = try await chromium(
            ["--screenshot=\(screenshot)", "--window-size=900,1400", "--hide-scrollbars"], page: page)
        let stats = await SystemProcessRunner(environment: ProcessInfo.processInfo.environment).run(
            ProcessRequest(
                "python3",
                [TestWorld.repositoryRoot.appendingPathComponent("scripts/testworld/png_stats.py").path, screenshot],
                timeout: .seconds(120), retry: .never, mutating: false))
        let picture = try XCTUnwrap(JSONValue.parse(stats.stdout), stats.stderr)
        XCTAssertEqual(picture["width"]?.doubleValue, 900)
        XCTAssertGreaterThan(
            picture["colors"]?.doubleValue ?? 0, 20, "a blank or single-colour screenshot: \(stats.stdout)")
        XCTAssertGreaterThan(picture["non_white"]?.doubleValue ?? 0, 0.02, "next to nothing drawn: \(stats.stdout)")
        XCTAssertGreaterThan(picture["red"]?.doubleValue ?? 0, 50, "the failure is not marked in red: \(stats.stdout)")

        // At 1024 px, as laid out by Chromium: no axis label runs past its chart, no time cell wraps. A copy
        // of the page measures itself (the page itself runs no script) and writes what it found into the DOM.
        let measure = """
            <script>
            const outside = [], wrapped = [];
            for (const svg of document.querySelectorAll('svg.chart')) {
              const width = svg.viewBox.baseVal.width;
              for (const label of svg.querySelectorAll('text')) {
                const box = label.getBBox();
                if (box.x < 0 || box.x + box.width > width) outside.push(label.textContent);
              }
            }
            for (const cell of document.querySelectorAll('td:first-child, td:nth-child(2)')) {
              const text = document.createRange();
              text.selectNodeContents(cell);
              if (cell.textContent.startsWith('+') && text.getClientRects().length > 1) wrapped.push(cell.textContent);
            }
            document.body.setAttribute('data-outside', JSON.stringify(outside));
            document.body.setAttribute('data-wrapped', JSON.stringify(wrapped));
            </script>
            """
        let measured = world.directory.appendingPathComponent("measured.html").path
        try html.replacingOccurrences(of: "</body>", with: measure + "</body>").write(
            toFile: measured, atomically: true, encoding: .utf8)
        let laidOut = try await chromium(["--dump-dom", "--window-size=1024,1400"], page: measured)
        func found(_ name: String) -> String {
            laidOut.range(of: "\(name)=\"[^\"]*\"", options: .regularExpression).map { String(laidOut[$0]) }
                ?? "nothing"
        }
        XCTAssertEqual(found("data-outside"), "data-outside=\"[]\"", "axis labels outside their chart")
        XCTAssertEqual(found("data-wrapped"), "data-wrapped=\"[]\"", "time cells that wrap")
    }

    func testReportWithoutAnyDeploymentSaysSoAndExitsTwo() async throws {
        let config = try world.writeConfig(
            LambdaPromoteTests.config(function: "none-app", steps: LambdaPromoteTests.threeSteps))
        let run = await world.shipctl(
            ["report", "--deployment", "latest", "--html", world.directory.appendingPathComponent("x.html").path],
            config: config)
        XCTAssertEqual(run.status, 2, run.output)
        XCTAssertTrue(run.stderr.contains("the audit log holds no deployment yet"), run.stderr)
        let unknown = await world.shipctl(["report", "--deployment", "api-prod-deploy-nope", "--json"], config: config)
        XCTAssertEqual(unknown.status, 2, unknown.output)
        XCTAssertTrue(unknown.stdout.contains("no deployment api-prod-deploy-nope"), unknown.output)
    }

    /// A log written by shipctl before the deployment journal — the demo's two promotes (the second
    /// reverted, its flag flipped), a rollback and a flag set by hand, kept in `Tests/Fixtures` — still
    /// verifies, and still reads in `audit show`, `report` and the job summary.
    func testALogWrittenBeforeTheJournalStillVerifiesAndReads() async throws {
        let fixture = TestWorld.repositoryRoot.appendingPathComponent(Self.fixture)
        let config = try configReading(log: String(contentsOf: fixture, encoding: .utf8))

        let verify = await world.shipctl(["audit", "verify"], config: config)
        XCTAssertEqual(verify.status, 0, verify.output)
        let records = try world.auditRecords()
        let reverted = try XCTUnwrap(
            records.first { $0["action"]?.stringValue == AuditAction.trafficRevert }?["deployment"]?.stringValue)
        let show = await world.shipctl(["audit", "show", "--deployment", reverted], config: config)
        XCTAssertEqual(show.status, 0, show.output)
        for action in [
            "deployment.start", "traffic.shift", "analysis", "traffic.revert", "flag.set", "deployment.finish",
        ] {
            XCTAssertTrue(show.stdout.contains(action), "\(action) is not shown: \(show.stdout)")
        }
        let report = await world.shipctl(["report", "--deployment", reverted], config: config)
        XCTAssertEqual(report.status, 0, report.output)
        XCTAssertTrue(
            report.stdout.contains("rolled-back") && report.stdout.contains("error-rate failed at"), report.stdout)

        // The job summary is built from the same records.
        let kept = try String(contentsOf: fixture, encoding: .utf8).split(separator: "\n").compactMap {
            AuditLine(String($0)).record
        }
        let timeline = try XCTUnwrap(DeploymentTimeline(records: kept.filter { $0.deployment == reverted }))
        let summary = StepSummary.markdown(timeline)
        XCTAssertTrue(summary.contains("rolled-back") && summary.contains("error-rate"), summary)
    }

    /// `audit show` for incident triage: who did what, narrowed to a service, an environment, a time and the
    /// last few records; a deployment the log does not hold is an error, not an empty answer. The
    /// configuration may come from `SHIPCTL_CONFIG`.
    func testAuditShowNamesTheActorAndNarrowsTheLog() async throws {
        let config = try configReading(
            log: String(contentsOf: TestWorld.repositoryRoot.appendingPathComponent(Self.fixture), encoding: .utf8))

        let last = await world.shipctl(
            ["audit", "show", "--service", "api", "--env", "prod", "--tail", "2"], config: config)
        XCTAssertEqual(last.status, 0, last.output)
        let lines = last.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 2, last.stdout)
        XCTAssertTrue(lines.allSatisfy { $0.contains(" on-call api/prod ") && $0.contains("flag.set") }, last.stdout)
        XCTAssertTrue(lines.last?.hasPrefix("68 ") ?? false, last.stdout)

        let promoted = await world.shipctl(["audit", "show", "--since", "2020-01-01T00:00:00Z"], config: config)
        XCTAssertEqual(promoted.stdout.split(separator: "\n").count, 68, promoted.output)
        XCTAssertTrue(promoted.stdout.contains(" ci-runner api/prod "), promoted.stdout)
        let future = await world.shipctl(["audit", "show", "--since", "2099-01-01T00:00:00Z"], config: config)
        XCTAssertEqual(future.status, 0, future.output)
        XCTAssertEqual(future.stdout, "")
        let otherEnv = await world.shipctl(["audit", "show", "--env", "staging"], config: config)
        XCTAssertEqual(otherEnv.stdout, "", otherEnv.output)

        let unknown = await world.shipctl(["audit", "show", "--deployment", "api-prod-deploy-nope"], config: config)
        XCTAssertEqual(unknown.status, 2, unknown.output)
        XCTAssertTrue(
            unknown.stderr.contains("the audit log holds no record of deployment api-prod-deploy-nope"), unknown.stderr)
        let badTime = await world.shipctl(["audit", "show", "--since", "yesterday"], config: config)
        XCTAssertEqual(badTime.status, 2, badTime.output)
        XCTAssertTrue(badTime.stderr.contains("--since `yesterday` is not a time"), badTime.stderr)

        var environment = world.environment
        environment["SHIPCTL_CONFIG"] = config
        let fromEnvironment = await ShipctlRun.run(["audit", "verify"], environment: environment)
        XCTAssertEqual(fromEnvironment.status, 0, fromEnvironment.output)
        XCTAssertTrue(fromEnvironment.stdout.contains("68 records"), fromEnvironment.stdout)
    }

    /// `stats` on a log with known answers (`DeliveryLog`, worked out in `DeliveryStatsTests`), for people
    /// and for machines; a window with no deployment says so.
    func testStatsGiveTheKnownFiguresOfAGeneratedLog() async throws {
        let config = try configReading(log: DeliveryLog.sample().joined(separator: "\n") + "\n")
        let window = ["--since", "2026-11-01T00:00:00Z", "--until", "2026-11-11T00:00:00Z"]

        let verify = await world.shipctl(["audit", "verify"], config: config)
        XCTAssertEqual(verify.status, 0, verify.output)
        let machine = await world.shipctl(["stats", "--json"] + window, config: config)
        XCTAssertEqual(machine.status, 0, machine.output)
        let stats = try XCTUnwrap(JSONValue.parse(machine.stdout.trimmingCharacters(in: .newlines)), machine.stdout)
        XCTAssertEqual(stats["event"]?.stringValue, "stats")
        XCTAssertEqual(stats["deployments"], .int(5))
        XCTAssertEqual(stats["deployment_frequency"]?["per_day"]?.doubleValue, 0.3)
        XCTAssertEqual(stats["deployment_frequency"]?["band"]?.stringValue, "high")
        XCTAssertEqual(stats["change_fail_rate"]?.doubleValue, 0.4)
        XCTAssertEqual(stats["failed_deployment_recovery_time"]?["median_s"]?.doubleValue, 120)
        XCTAssertEqual(stats["failed_deployment_recovery_time"]?["p90_s"]?.doubleValue, 1800)
        XCTAssertEqual(stats["deployment_rework_rate"]?.doubleValue, 0.333)
        XCTAssertEqual(stats["lead_time"]?["median_s"], .null)
        guard case .array(let services)? = stats["services"] else { return XCTFail(machine.stdout) }
        XCTAssertEqual(services.compactMap { $0["service"]?.stringValue }, ["api", "web"])
        XCTAssertEqual(services.first?["change_fail_rate"]?.doubleValue, 0.5)

        let people = await world.shipctl(["stats", "--service", "api"] + window, config: config)
        XCTAssertEqual(people.status, 0, people.output)
        for line in [
            "delivery from 2026-11-01T00:00:00.000Z to 2026-11-11T00:00:00.000Z:",
            "  4 deployment(s): 2 succeeded, 2 failed; 1 rollback(s)",
            "  deployment frequency: 0.20/day (high)", "  change fail rate: 50.0%",
            "  deployment rework rate: 40.0%",
        ] {
            XCTAssertTrue(people.stdout.contains(line + "\n"), "\(line) is not in: \(people.stdout)")
        }
        let empty = await world.shipctl(
            ["stats", "--since", "2026-11-20T00:00:00Z", "--until", "2026-11-21T00:00:00Z"], config: config)
        XCTAssertEqual(empty.status, 0, empty.output)
        XCTAssertEqual(
            empty.stdout, "no deployment in the audit log from 2026-11-20T00:00:00.000Z to 2026-11-21T00:00:00.000Z\n")
    }
}
