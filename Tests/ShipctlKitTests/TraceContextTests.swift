import Foundation
import ShipctlKit
import XCTest

/// `TRACEPARENT` and the OTLP environment variables, read as the OpenTelemetry specification writes them.
final class TraceContextTests: XCTestCase {
    func testAValidTraceparentIsReadAndWrittenBackSampled() throws {
        let context = try XCTUnwrap(
            TraceContext.parse(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"))
        XCTAssertEqual(context.traceID, "4bf92f3577b34da6a3ce929d0e0e4736")
        XCTAssertEqual(context.spanID, "00f067aa0ba902b7")
        XCTAssertEqual(context.traceparent, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        let child = TraceContext.child(of: context)
        XCTAssertEqual(child.traceID, context.traceID)
        XCTAssertNotEqual(child.spanID, context.spanID)
        XCTAssertEqual(child.spanID.count, 16)
        XCTAssertEqual(TraceContext.child(of: nil).traceID.count, 32)
    }

    func testAnythingElseIsIgnoredRatherThanTrusted() {
        for text in [
            "", "00", "garbage", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bz-01", "00-é-é-01",
        ] {
            XCTAssertNil(TraceContext.parse(traceparent: text), text)
        }
    }

    func testTheEndpointHeadersAndResourceComeFromTheStandardVariables() throws {
        XCTAssertNil(OTLPSettings(environment: [:]), "no endpoint: no tracing")
        XCTAssertNil(OTLPSettings(environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"]))
        let base = try XCTUnwrap(OTLPSettings(environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318/"]))
        XCTAssertEqual(base.endpoint.absoluteString, "http://127.0.0.1:4318/v1/traces")
        XCTAssertEqual(base.resource, ["service.name": "shipctl"])
        XCTAssertNil(base.parent)
        let settings = try XCTUnwrap(
            OTLPSettings(environment: [
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://ignored:4318",
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://otlp.example.com/api/traces",
                "OTEL_EXPORTER_OTLP_HEADERS": "authorization=Basic%20c2VjcmV0LXRva2Vu, x-team = ops,broken",
                "OTEL_SERVICE_NAME": "deploys", "OTEL_RESOURCE_ATTRIBUTES": "team=ops,service.name=other",
                "TRACEPARENT": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            ]))
        XCTAssertEqual(settings.endpoint.absoluteString, "https://otlp.example.com/api/traces")
        XCTAssertEqual(settings.headers, ["authorization": "Basic c2VjcmV0LXRva2Vu", "x-team": "ops"])
        XCTAssertEqual(settings.resource, ["service.name": "deploys", "team": "ops"])
        XCTAssertEqual(settings.parent?.spanID, "00f067aa0ba902b7")
        XCTAssertTrue(settings.secrets.contains("Basic c2VjcmV0LXRva2Vu"), "header values are hidden in output")
    }
}
