import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// The README's first command as a newcomer runs it: it ends well, says what it does in a page a person
/// reads (no build or install noise), and ends with the audit log and the report as people read them.
final class DemoTests: XCTestCase {
    func testTheDemoRollsBackTheBadVersionInUnderAHundredAndFiftyLines() async throws {
        var environment = ProcessInfo.processInfo.environment
        environment["SHIPCTL_BINARY"] = TestWorld.shipctlBinary
        let run = await SystemProcessRunner(environment: environment).run(
            ProcessRequest(
                "bash", [TestWorld.repositoryRoot.appendingPathComponent("scripts/demo").path],
                workingDirectory: TestWorld.repositoryRoot.path, timeout: .seconds(600), retry: .never,
                mutating: true))
        let output = run.stdout + run.stderr
        XCTAssertEqual(run.status, 0, output)
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertLessThan(lines.count, 150, output)
        XCTAssertTrue(output.contains("shipctl exited with 3"), output)
        XCTAssertTrue(output.contains("MODEL_PROVIDER is now: small-llm"), output)
        for line in lines {
            XCTAssertFalse(line.contains("{\""), "raw JSON in the demo: \(line)")
        }
        XCTAssertTrue(output.contains("=== 5. the reverted deployment, as its report tells it ==="), output)
        XCTAssertTrue(output.contains("rolled-back"), output)
    }
}
