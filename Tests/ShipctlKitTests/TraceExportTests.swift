import Foundation
import ShipctlKit
import ShipctlTestSupport
import XCTest

/// The OTLP document an in-process promote exports: one trace, its span tree and the gate events.
final class TraceExportTests: XCTestCase {
    func testARevertedCanaryIsExportedAsOneTreeOnceItIsOver() async throws {
        let config = try CanaryEngineTests.config(
            CanaryEngineTests.service("api", steps: "{ weight: 10, pause: 8s }, { weight: 100 }"))
        var world = CanaryEngineTests.World(services: ["api"])
        world.samples = CanaryEngineTests.samples(bad: { _ in true })
        let http = ScriptedHTTPClient { _, _ in HTTPResponse(status: 200, body: Data("{}".utf8)) }
        var dependencies = world.dependencies()
        dependencies.traces = TraceExporter(
            environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector.invalid:4318"], http: http)
        let service = try XCTUnwrap(config.service(named: "api"))
        let env = try XCTUnwrap(config.environments["prod"])
        do {
            _ = try await CanaryEngine(config: config, service: service, env: env, dependencies: dependencies)
                .promote(PromoteOptions(version: "2")).succeeded()
            XCTFail("the canary should fail")
        } catch {}

        XCTAssertEqual(http.requests.count, 1, "one export, at the end")
        let request = try XCTUnwrap(http.requests.first)
        XCTAssertEqual(request.url.absoluteString, "http://collector.invalid:4318/v1/traces")
        let document = try XCTUnwrap(JSONValue.parse(request.body))
        func first(_ value: JSONValue?) -> JSONValue? {
            guard case .array(let items)? = value else { return nil }
            return items.first
        }
        guard case .array(let spans)? = first(first(document["resourceSpans"])?["scopeSpans"])?["spans"] else {
            return XCTFail(request.body)
        }
        func named(_ name: String) -> JSONValue? { spans.first { $0["name"]?.stringValue == name } }
        let root = try XCTUnwrap(named("deploy api/prod"), request.body)
        XCTAssertNil(root["parentSpanId"])
        XCTAssertEqual(root["status"]?["code"]?.doubleValue, 2)
        let step = try XCTUnwrap(named("step 1/2 (10%)"), request.body)
        let shift = try XCTUnwrap(named("shift 10% to 2"), request.body)
        let revert = try XCTUnwrap(named("revert to 1"), request.body)
        XCTAssertEqual(step["parentSpanId"], root["spanId"])
        XCTAssertEqual(shift["parentSpanId"], step["spanId"])
        XCTAssertEqual(revert["parentSpanId"], root["spanId"])
        XCTAssertEqual(Set(spans.map { $0["traceId"]?.stringValue ?? "" }).count, 1, "one trace")
        guard case .array(let events)? = step["events"] else { return XCTFail("the step has no events") }
        XCTAssertTrue(
            events.contains {
                $0["name"]?.stringValue == "gate" && $0["attributes"]?.canonical.contains("\"fail\"") == true
            }, "\(events)")
        let deploymentRecords = world.store.all.map(\.deployment)
        XCTAssertTrue(
            root["attributes"]?.canonical.contains(deploymentRecords.first ?? "?") == true, "deployment.id is the log's"
        )
    }
}
