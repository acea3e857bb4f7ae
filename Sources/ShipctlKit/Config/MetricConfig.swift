import Foundation

public struct MetricConfig: Sendable {
    public var name: String
    /// The query as configured, placeholders still in it; for a metric judged by counts, its `failures` query.
    public var source: MetricQuery
    /// The `total` query of a metric judged by counts (`failures` and `total` over `{{window}}`),
    /// read for `{{version}}` = canary and = stable and compared by `RateRatioTest`.
    public var total: MetricQuery?
    /// How much higher than stable's the canary's failure rate may be (0.5: 1.5 times); for
    /// `judge: mann-whitney`, how far its values may move, as a share of stable's median.
    public var maxIncrease: Double?
    /// `judge: mann-whitney`: the canary's and stable's values at every evaluation compared by `MannWhitneyShift`.
    public var mannWhitney = false
    public var direction: MannWhitneyShift.Direction = .increase

    /// Compared with stable by the judge rather than held to a threshold.
    public var isJudged: Bool { total != nil || mannWhitney }
    public var max: Double?
    public var min: Double?
    public var maxRatioToBaseline: Double?
    /// Observed and recorded, but never fails a release.
    public var dryRun: Bool

    public init(
        name: String, source: MetricQuery, max: Double?, min: Double?, maxRatioToBaseline: Double?, dryRun: Bool
    ) {
        self.name = name
        self.source = source
        self.max = max
        self.min = min
        self.maxRatioToBaseline = maxRatioToBaseline
        self.dryRun = dryRun
    }
}
