import Foundation

/// One kind of metrics backend, whole: how a metric entry in `shipctl.yaml`
/// names its query, how placeholders fill it, and how it is read. A new kind is
/// one type conforming to this and one line in `MetricBackends.all`.
public protocol BackendQuery: Sendable {
    /// The key that names this kind in a metric entry (`prometheus`, `cloudwatch`, …).
    static var kind: String { get }
    /// The entry written out, for messages that teach it.
    static var example: String { get }
    /// The address each environment must give for this backend, when it needs one.
    static var endpoint: MetricEndpoint? { get }
    /// The query an entry describes, or nil after reporting what is wrong with it.
    static func parse(_ entry: ConfigEntry) -> Self?

    /// The query as people read it in output and in the audit log.
    var display: String { get }
    /// The query with `{{canary}}`, `{{service}}` and friends filled in.
    func filled(_ placeholders: Placeholders) -> Self

    /// The query's value now. Empty results, NaN and backend errors are inconclusive, never a pass.
    func read(_ context: EnvironmentContext) async -> MetricReading
    /// Waits until the backend holds samples newer than `instant`, at most `limit`:
    /// true when it does, false when none came, nil when the backend cannot tell.
    func awaitNewSample(after instant: Date, limit: Duration, clock: EngineClock, context: EnvironmentContext) async
        -> Bool?
    /// The values from `start` to `end`, one every `step`: what `read` would have answered at each of those times.
    func readRange(from start: Date, to end: Date, step: Duration, context: EnvironmentContext) async -> MetricRange
    /// The query's series now (as of `context.asOf` in a replay), each by its labels.
    func readSeries(_ context: EnvironmentContext) async -> SeriesReading
    /// The query's series from `start` to `end`, one sample every `step`.
    func readSeriesRange(from start: Date, to end: Date, step: Duration, context: EnvironmentContext) async
        -> SeriesRange
    /// Whether the query, judged as counts, names raw counters that shipctl differences itself; false when it
    /// counts over `{{window}}` already.
    var readsRawCounters: Bool { get }
    /// A word on reading this query as counts, said once when the configuration loads; nil when none is due.
    var countsAdvice: String? { get }
    /// Why this query cannot be read as counts, if it cannot.
    var countsProblem: String? { get }
    /// When the query found no series: which part of it matched nothing, when this backend can tell (`doctor`).
    func explainNoData(_ context: EnvironmentContext) async -> String?
    /// What to do when a read was inconclusive for `reason`, in this backend's own terms (`doctor`).
    static func fix(unreadable reason: String) -> String
}

extension BackendQuery {
    public var readsRawCounters: Bool { false }
    public var countsAdvice: String? { nil }
    public var countsProblem: String? { nil }

    public func readSeries(_ context: EnvironmentContext) async -> SeriesReading {
        SeriesReading(await read(context))
    }

    public func readSeriesRange(from start: Date, to end: Date, step: Duration, context: EnvironmentContext) async
        -> SeriesRange
    {
        SeriesRange(await readRange(from: start, to: end, step: step, context: context))
    }

    public func explainNoData(_ context: EnvironmentContext) async -> String? { nil }

    public static func fix(unreadable reason: String) -> String {
        "check that the metrics backend answers here at the environment's address, with its `auth:`"
    }

    public static var endpoint: MetricEndpoint? { nil }

    /// A backend that cannot tell when it has new data: wait the whole limit.
    public func awaitNewSample(after instant: Date, limit: Duration, clock: EngineClock, context: EnvironmentContext)
        async -> Bool?
    {
        try? await clock.sleep(limit)
        return nil
    }

    public func readRange(from start: Date, to end: Date, step: Duration, context: EnvironmentContext) async
        -> MetricRange
    {
        .unavailable("\(Self.kind) cannot read history yet")
    }
}
