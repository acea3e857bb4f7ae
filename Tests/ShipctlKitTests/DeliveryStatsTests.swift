import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// The delivery figures of `DeliveryLog.sample()`, worked out by hand (see its comment for the story).
final class DeliveryStatsTests: XCTestCase {
    static func stats(since: Date? = DeliveryLog.windowStart) -> DeliveryStats {
        var collector = DeliveryStats.Collector()
        for line in DeliveryLog.sample() { collector.add(AuditLine(line)) }
        return collector.stats(since: since, until: DeliveryLog.windowEnd)
    }

    func testTheSampleGivesTheFiguresWorkedOutByHand() {
        let stats = Self.stats()
        // api-1, api-2, api-3, api-4 and web-1; api-5 was cancelled, web-before is before the window.
        XCTAssertEqual(
            stats.all,
            DeliveryFigures(
                deployments: 5, succeeded: 3, failed: 2, rollbacks: 1,
                // Three succeeded in ten days: weekly or more, not daily.
                perDay: 0.3, changeFailRate: 0.4,
                // api-2: first traffic at 10:01, reverted at 10:03;
                // api-4: first traffic at 10:01, rolled back at 10:31.
                recoveryMedianSeconds: 120, recoveryP90Seconds: 1800,
                // The rollback, and api-3 right after the failed api-2, of five deployments and one rollback.
                reworkRate: 2.0 / 6))
        XCTAssertEqual(stats.all.band, "high")
        XCTAssertEqual(stats.services.map { "\($0.service)/\($0.env)" }, ["api/prod", "web/prod"])
        XCTAssertEqual(
            stats.services[0].figures,
            DeliveryFigures(
                deployments: 4, succeeded: 2, failed: 2, rollbacks: 1, perDay: 0.2, changeFailRate: 0.5,
                recoveryMedianSeconds: 120, recoveryP90Seconds: 1800, reworkRate: 2.0 / 5))
        XCTAssertEqual(
            stats.services[1].figures,
            DeliveryFigures(
                deployments: 1, succeeded: 1, failed: 0, rollbacks: 0, perDay: 0.1, changeFailRate: 0,
                recoveryMedianSeconds: nil, recoveryP90Seconds: nil, reworkRate: 0))
        XCTAssertEqual(stats.services[1].figures.band, "medium")
    }

    func testTheJSONShapeAndAnEmptyWindow() {
        let json = JSONValue.object(Self.stats().all.json)
        XCTAssertEqual(json["deployment_frequency"]?["per_day"]?.doubleValue, 0.3)
        XCTAssertEqual(json["deployment_frequency"]?["band"]?.stringValue, "high")
        XCTAssertEqual(json["change_fail_rate"]?.doubleValue, 0.4)
        XCTAssertEqual(json["failed_deployment_recovery_time"]?["p90_s"]?.doubleValue, 1800)
        XCTAssertEqual(json["deployment_rework_rate"]?.doubleValue, 0.333)
        XCTAssertEqual(json["lead_time"]?["median_s"], .null)

        let empty = Self.stats(since: DeliveryLog.windowEnd)
        XCTAssertEqual(empty.all.deployments, 0)
        XCTAssertEqual(empty.all.changeFailRate, 0)
        XCTAssertNil(empty.all.recoveryMedianSeconds)
        XCTAssertEqual(empty.all.band, "low")
    }
}
