import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// Acceptance 6 through the binary: each malformed config exits 2 and the
/// message names the file, the line and the key.
final class ConfigValidateCommandTests: XCTestCase {
    static let valid = SampleConfig.valid

    func validate(_ yaml: String) async throws -> ShipctlRun {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "validate-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try yaml.write(to: dir.appendingPathComponent("shipctl.yaml"), atomically: true, encoding: .utf8)
        return await ShipctlRun.run(
            ["config", "validate"], environment: ProcessInfo.processInfo.environment, workingDirectory: dir.path)
    }

    func testTheValidConfigPasses() async throws {
        let run = try await validate(Self.valid)
        XCTAssertEqual(run.status, 0, run.output)
    }

    func testTenMalformedConfigsExitTwoNamingLineAndKey() async throws {
        let cases: [(from: String, to: String, location: String)] = [
            ("weight: 10,", "weight: ten,", "shipctl.yaml:10:21: services.api.strategy.steps[0].weight"),
            (
                "    provider: lambda", "    provider: lambda\n    replicas: 3",
                "shipctl.yaml:7:5: services.api.replicas"
            ),
            ("services:\n  api:", "servicez:\n  api:", "shipctl.yaml:4:1: servicez"),
            ("pause: 60s", "pause: 60 seconds", "shipctl.yaml:10:32: services.api.strategy.steps[0].pause"),
            ("weight: 50,", "weight: 101,", "shipctl.yaml:11:21: services.api.strategy.steps[1].weight"),
            ("interval: 10s", "interval: -1s", "shipctl.yaml:13:17: services.api.analysis.interval"),
            (
                "lambda: { function: micro-app-api, alias: live }", "lambda: { function: 7, alias: [live] }",
                "services.api.lambda.alias"
            ),
            ("provider: lambda", "provider: kubernetes", "shipctl.yaml:6:15: services.api.provider"),
            (
                "function: micro-app-api", "function: \"api; rm -rf /\"",
                "shipctl.yaml:7:25: services.api.lambda.function"
            ),
            ("max: 0.02", "max: [0.02]", "shipctl.yaml:17:16: services.api.analysis.metrics[0].max"),
        ]
        for example in cases {
            let yaml = Self.valid.replacingOccurrences(of: example.from, with: example.to)
            let run = try await validate(yaml)
            XCTAssertEqual(run.status, 2, "\(example.to): \(run.output)")
            XCTAssertTrue(
                run.stderr.contains(example.location), "\(example.to): expected \(example.location) in \(run.stderr)")
        }
    }

    /// `max_increase: 50` (no `%`) would mean 5000 % and switch the gate off: refused at its line with the fix.
    func testABareIncreaseAboveOneIsRefusedWithThePercentItMeant() async throws {
        let judged = Self.valid.replacingOccurrences(
            of: "max: 0.02", with: "max: 0.02\n          max_increase: 50")
        XCTAssertNotEqual(judged, Self.valid, "the sample config changed: this test no longer plants its mistake")
        let run = try await validate(judged)
        XCTAssertEqual(run.status, 2, run.output)
        XCTAssertTrue(
            run.stderr.contains("shipctl.yaml:18:25: services.api.analysis.metrics[0].max_increase"), run.stderr)
        XCTAssertTrue(run.stderr.contains("would mean 5000%; write 50% if that is what you meant"), run.stderr)
        let fraction = try await validate(
            Self.valid.replacingOccurrences(of: "max: 0.02", with: "max: 0.02\n          max_increase: 0.5"))
        XCTAssertFalse(fraction.stderr.contains("a bare number is a fraction"), fraction.stderr)
    }

    /// A misspelt value gets the nearest one it could have meant.
    func testAMisspeltProviderOrPresetIsMatchedToTheNearestName() async throws {
        let provider = try await validate(
            Self.valid.replacingOccurrences(of: "provider: lambda", with: "provider: lamda"))
        XCTAssertEqual(provider.status, 2, provider.output)
        XCTAssertTrue(provider.stderr.contains("got `lamda` (did you mean `lambda`?)"), provider.stderr)
        let steps = try XCTUnwrap(Self.valid.range(of: "strategy:"))
        let end = try XCTUnwrap(
            Self.valid.range(
                of: "\n    [a-z]", options: .regularExpression, range: steps.upperBound..<Self.valid.endIndex))
        let preset = try await validate(
            Self.valid.replacingCharacters(
                in: steps.lowerBound..<end.lowerBound, with: "strategy: { preset: Canery10Percent5Minutes }"))
        XCTAssertEqual(preset.status, 2, preset.output)
        XCTAssertTrue(
            preset.stderr.contains(
                "unknown preset `Canery10Percent5Minutes` (did you mean `Canary10Percent5Minutes`?)"),
            preset.stderr)
    }
}
