import XCTest

@testable import ShipctlKit

/// `doctor` explains an empty gate by asking for the query's first selector one matcher at a time;
/// these are the selectors it must take apart, and the expressions it must leave alone.
final class PromQLSelectorTests: XCTestCase {
    func testTheFirstSelectorIsTakenApartAtCommasOutsideQuotes() {
        let selector = PromQLSelector(
            firstIn: #"sum(rate(llm_requests_total{function="api",version="3", status=~"5..|err,or"}[1m])) / 2"#)
        XCTAssertEqual(selector?.metric, "llm_requests_total")
        XCTAssertEqual(selector?.matchers, [#"function="api""#, #"version="3""#, #"status=~"5..|err,or""#])
        XCTAssertEqual(selector?.countQuery(matchers: 0), "count(llm_requests_total)")
        XCTAssertEqual(selector?.countQuery(matchers: 2), #"count(llm_requests_total{function="api",version="3"})"#)
    }

    func testFunctionNamesAndQuotedBracesAreNotSelectors() {
        XCTAssertEqual(
            PromQLSelector(firstIn: #"histogram_quantile(0.95, sum(rate(latency_bucket {le!="+Inf"}[5m])) by (le))"#),
            PromQLSelector(metric: "latency_bucket", matchers: [#"le!="+Inf""#]))
        XCTAssertEqual(
            PromQLSelector(firstIn: #"label_replace(up, "x{y}", "1", "", "")"#), nil,
            "a brace inside a string is not a selector, and `up` has none")
        XCTAssertEqual(PromQLSelector(firstIn: #"up{job="a""#), nil, "an unclosed selector is left alone")
        XCTAssertEqual(PromQLSelector(firstIn: ""), nil)
        XCTAssertEqual(PromQLSelector(firstIn: #"{"\#u{0}"#), nil)
    }

    func testAnErrorIsSummarisedOnOneLineWithoutItsHint() {
        let error = ShipctlError.runtime(
            "`aws lambda get-alias` exited with status 255:\n  Unable to locate credentials", hint: "run aws configure")
        XCTAssertEqual(error.summary, "`aws lambda get-alias` exited with status 255: Unable to locate credentials")
        XCTAssertEqual(error.hint, "run aws configure")
    }
}
