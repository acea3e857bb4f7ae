import Foundation
import ShipctlKit

/// An HTTP client that answers as a Prometheus server would for in-process
/// engine tests: `/api/v1/query` with the value `value(queryText)` gives,
/// `/api/v1/targets` with one healthy target scraped every `scrapeInterval`.
/// Records when each query was asked.
public final class ScriptedPrometheus: HTTPClient, @unchecked Sendable {
    private let lock = NSLock()
    private let value: @Sendable (String) -> String
    private let scrapeInterval: TimeInterval
    private var queries: [(query: String, at: Date)] = []
    private var targetReads: [Date] = []

    public init(scrapeInterval: TimeInterval = 0.25, value: @escaping @Sendable (String) -> String) {
        self.scrapeInterval = scrapeInterval
        self.value = value
    }

    public func get(_ url: URL, timeout: Duration) async throws(ShipctlError) -> HTTPResponse {
        let now = Date()
        let components = URLComponents(url: url, resolvingAgainstBaseURL: false)
        if url.path.hasSuffix("/api/v1/targets") {
            lock.withLock { targetReads.append(now) }
            let scraped = Date(
                timeIntervalSince1970: (now.timeIntervalSince1970 / scrapeInterval).rounded(.down) * scrapeInterval)
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            let body =
                "{\"status\":\"success\",\"data\":{\"activeTargets\":[{\"health\":\"up\",\"lastScrape\":\"\(formatter.string(from: scraped))\"}]}}"
            return HTTPResponse(status: 200, body: Data(body.utf8))
        }
        let query = components?.queryItems?.first { $0.name == "query" }?.value ?? ""
        lock.withLock { queries.append((query, now)) }
        let body =
            "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},\"value\":[\(now.timeIntervalSince1970),\"\(value(query))\"]}]}}"
        return HTTPResponse(status: 200, body: Data(body.utf8))
    }

    /// Every query asked so far, with when.
    public var asked: [(query: String, at: Date)] { lock.withLock { queries } }
    /// When the scrape targets were read (to wait for a new sample).
    public var targetsRead: [Date] { lock.withLock { targetReads } }
}
