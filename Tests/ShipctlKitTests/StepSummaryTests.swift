import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// The GitHub Actions job summary of a deployment, written by the engine from
/// its own audit records: a steps table that reads on its own and a Mermaid chart.
final class StepSummaryTests: XCTestCase {
    func summaryOfPromote(steps: [String], samples: [ScriptedMetricSource.Sample]) async throws -> (
        markdown: String, error: ShipctlError?
    ) {
        let config = try CanaryEngineTests.config(
            CanaryEngineTests.service("api", steps: steps.joined(separator: ", ")))
        var world = CanaryEngineTests.World(services: ["api"])
        world.samples = samples
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(
            "summary-\(UUID().uuidString.prefix(8)).md")
        FileManager.default.createFile(atPath: file.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: file) }
        let reporter = Reporter(
            mode: .githubActions, redactor: Redactor(secrets: []), summaryPath: file.path, out: { _ in }, err: { _ in })
        let service = try XCTUnwrap(config.service(named: "api"))
        let env = try XCTUnwrap(config.environments["prod"])
        var failure: ShipctlError?
        do {
            _ = try await CanaryEngine(
                config: config, service: service, env: env, dependencies: world.dependencies(reporter: reporter)
            ).promote(PromoteOptions(version: "2")).succeeded()
        } catch {
            failure = error
        }
        return (try String(contentsOf: file, encoding: .utf8), failure)
    }

    func testAFiftyStepCanaryThatFailsLateHasItsStepsTableAndChartUnderOneMebibyte() async throws {
        // 49 steps of 1–49 % watched for 60 s each, then 100 %; the error rate turns bad in step 30.
        let steps = (1...49).map { "{ weight: \($0), pause: 60s }" } + ["{ weight: 100 }"]
        let (markdown, error) = try await summaryOfPromote(
            steps: steps, samples: CanaryEngineTests.samples(bad: { $0 >= 29 * 60 + 10 }, through: 3600))
        XCTAssertEqual(error?.exitCode, 3)

        XCTAssertLessThan(markdown.utf8.count, 1 << 20)
        XCTAssertTrue(markdown.hasPrefix("### shipctl: api/prod ❌ rolled-back\n"), markdown)
        XCTAssertTrue(markdown.contains("version 2 over 1"), markdown)
        XCTAssertTrue(
            markdown.contains("**Reverted:** metric error-rate = 0.5 breached its threshold (max 0.02)"), markdown)
        let table = markdown.split(separator: "\n").filter { $0.hasPrefix("|") }
        XCTAssertEqual(table.first, "| step | weight | pause | held | error-rate (max 0.02) | smoke |")
        XCTAssertEqual(table.dropFirst().first, "|---|---|---|---|---|---|")
        // Header, rule, 30 steps reached, the revert.
        XCTAssertEqual(table.count, 2 + 30 + 1, table.joined(separator: "\n"))
        XCTAssertTrue(table[2].hasPrefix("| step 1/50 | 1% | 1m | "), String(table[2]))
        XCTAssertTrue(table[2].hasSuffix(" | ✅ 0.001 | – |"), String(table[2]))
        XCTAssertTrue(table[31].hasPrefix("| step 30/50 | 30% | 1m | "), String(table[31]))
        XCTAssertTrue(table[31].contains("❌ 0.5 (2 of "), String(table[31]))
        XCTAssertTrue(table[32].hasPrefix("| revert | 0% | – | "), String(table[32]))

        let chart = try XCTUnwrap(markdown.range(of: "```mermaid\nxychart-beta\n").map { markdown[$0.lowerBound...] })
        XCTAssertTrue(
            chart.contains("title \"Traffic on version 2 (%) and error-rate as % of its limit (100 = max 0.02)\""),
            String(chart))
        let lines = chart.split(separator: "\n").filter { $0.hasPrefix("  line [") }
        XCTAssertEqual(lines.count, 2, String(chart))
        let points = lines.map { $0.dropFirst("  line [".count).dropLast().split(separator: ", ").count }
        XCTAssertEqual(points[0], points[1])
        XCTAssertLessThanOrEqual(points[0], 60 + 15, "the chart is sampled, not every evaluation")
        // 0.001 against max 0.02 is 5 % of the limit; 0.5 is 2500 %, drawn at the chart's ceiling.
        // (Before the first evaluation the line is 0; records made within the same millisecond as
        // the first shift may hide that point, as this whole canary runs in a fraction of a second.)
        let values = lines[1].dropFirst("  line [".count).dropLast().split(separator: ", ").map(String.init)
        let calm = values.prefix { $0 != "300" }
        XCTAssertEqual(Set(calm.drop { $0 == "0" }), ["5"], String(lines[1]))
        XCTAssertGreaterThan(calm.count, 20, String(lines[1]))
        XCTAssertEqual(Set(values.dropFirst(calm.count)), ["300"], String(lines[1]))
        XCTAssertTrue(chart.contains("  y-axis \"%\" 0 --> 300\n"), String(chart))
    }

    func testAGoodCanaryEndsWithItsStepsAndNoRevert() async throws {
        let (markdown, error) = try await summaryOfPromote(
            steps: ["{ weight: 10, pause: 8s }", "{ weight: 100 }"], samples: CanaryEngineTests.samples())
        XCTAssertNil(error)
        XCTAssertTrue(markdown.hasPrefix("### shipctl: api/prod ✅ succeeded\n"), markdown)
        XCTAssertFalse(markdown.contains("Reverted"), markdown)
        let table = markdown.split(separator: "\n").filter { $0.hasPrefix("|") }
        XCTAssertEqual(table.count, 4, table.joined(separator: "\n"))
        XCTAssertTrue(
            table[2].hasPrefix("| step 1/2 | 10% | 8s | ") && table[2].hasSuffix(" | ✅ 0.001 | – |"), String(table[2]))
        XCTAssertTrue(
            table[3].hasPrefix("| step 2/2 | 100% | – | ") && table[3].hasSuffix(" | – | – |"), String(table[3]))
        XCTAssertTrue(markdown.contains("```mermaid"), markdown)
    }

    /// A step that advanced on evidence: its judged metric's cell shows the proof — the counts, the bound that
    /// reverts and the one that advanced, and stable's history joined.
    func testAnEvidenceStepShowsTheEvidenceItAdvancedOn() async throws {
        let run = try await JudgeEngineTests.promote(try EvidenceStepTests.config(), seed: 4, history: (3600, 0.02))
        XCTAssertNil(run.error)
        let timeline = try XCTUnwrap(DeploymentTimeline(records: run.store.all))
        let markdown = StepSummary.markdown(timeline)
        let row = try XCTUnwrap(markdown.split(separator: "\n").first { $0.hasPrefix("| step 1/2 | 50% |") }, markdown)
        XCTAssertTrue(row.contains("✅"), String(row))
        XCTAssertTrue(row.contains("<br>canary "), String(row))
        XCTAssertTrue(row.contains("rate ratio ≥") && row.contains("(evidence needs &lt; 4)"), String(row))
        XCTAssertTrue(row.contains("with stable's history"), String(row))
    }

    /// Under GitHub Actions each step's lines sit in one group, opened by its shift and closed by what ends its
    /// watch (the next shift, the revert, the promotion): the journal's reader keeps them, not the engine.
    func testEachStepIsOneGroupFromItsShiftToWhatEndsItsWatch() async throws {
        for bad in [false, true] {
            let config = try CanaryEngineTests.config(
                CanaryEngineTests.service(
                    "api", steps: "{ weight: 10, pause: 8s }, { weight: 50, pause: 8s }, { weight: 100 }"))
            var world = CanaryEngineTests.World(services: ["api"])
            world.samples = CanaryEngineTests.samples(bad: { _ in bad })
            let lines = Transcript()
            let reporter = Reporter(
                mode: .githubActions, redactor: Redactor(secrets: []), summaryPath: nil, out: { lines.append($0) },
                err: { lines.append($0) })
            let service = try XCTUnwrap(config.service(named: "api"))
            let env = try XCTUnwrap(config.environments["prod"])
            let outcome = try await CanaryEngine(
                config: config, service: service, env: env, dependencies: world.dependencies(reporter: reporter)
            ).promote(PromoteOptions(version: "2"))
            XCTAssertEqual(outcome.ending == .promoted, !bad)
            let log = lines.lines
            let opened = log.indices.filter { log[$0].hasPrefix("::group::step ") }
            XCTAssertEqual(opened.count, bad ? 1 : 3, "\(log)")
            // Each step's group closes before anything else opens, and holds that step's lines.
            var closed: [Int] = []
            for open in opened {
                let close = try XCTUnwrap(log[open...].firstIndex(of: "::endgroup::"), "\(log)")
                XCTAssertFalse(log[(open + 1)..<close].contains { $0.hasPrefix("::group::") }, "\(log)")
                XCTAssertTrue(log[(open + 1)..<close].allSatisfy { $0.hasPrefix("step ") }, "\(log)")
                closed.append(close)
            }
            if bad {
                let revert = try XCTUnwrap(log.firstIndex { $0.contains("reverted") }, "\(log)")
                XCTAssertGreaterThan(revert, closed[0], "the revert is said after the step's group: \(log)")
            }
        }
    }
}
