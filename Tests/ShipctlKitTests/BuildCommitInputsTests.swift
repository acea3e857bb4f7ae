import Foundation
import ShipctlTestSupport
import XCTest

/// `shipctl --version` says "modified" for any uncommitted change that changes the build: the stamping
/// command must run again when one does, so the build plan SwiftPM wrote lists every such file among its inputs.
final class BuildCommitInputsTests: XCTestCase {
    func testTheStampIsMadeAgainWhenTheManifestOrThePluginChanges() throws {
        let root = TestWorld.repositoryRoot
        let plan = try String(contentsOf: root.appendingPathComponent(".build/debug.yaml"), encoding: .utf8)
        let lines = plan.components(separatedBy: "\n")
        let start = try XCTUnwrap(
            lines.firstIndex { $0.contains("\"Stamping the commit shipctl is built from") }, "no stamping command")
        let inputs = try XCTUnwrap(
            lines[start...].first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("inputs:") })
        for file in ["Package.swift", "Plugins/BuildCommit/BuildCommit.swift", ".git/HEAD", ".git/index"] {
            let path = root.appendingPathComponent(file).path
            XCTAssertTrue(inputs.contains("\"\(path)\""), "\(file) is not an input of the stamp")
        }
    }
}
