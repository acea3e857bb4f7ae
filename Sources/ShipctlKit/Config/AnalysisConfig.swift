import Foundation

public struct AnalysisConfig: Sendable {
    /// When a metric that just failed is evaluated again to confirm it.
    public enum Confirmation: Sendable, Equatable {
        /// As soon as the metrics backend holds a newer sample (Prometheus has scraped
        /// its targets again), at most one `interval` later.
        case nextSample
        /// After a fixed delay.
        case after(Duration)
    }

    public var interval: Duration
    public var failureLimit: Int
    public var inconclusiveLimit: Int
    public var metrics: [MetricConfig]
    public var confirm: Confirmation = .nextSample
    public var judge: JudgeConfig = .defaults

    public static let defaults = AnalysisConfig(
        interval: .seconds(10), failureLimit: 0, inconclusiveLimit: 3, metrics: [])
}
