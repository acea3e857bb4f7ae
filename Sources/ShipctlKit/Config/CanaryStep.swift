import Foundation

/// One canary step: the percentage of traffic on the new version, how long to watch it at least,
/// and the evidence it needs before the next step.
public struct CanaryStep: Sendable, Equatable {
    public var weight: Double
    public var pause: Duration
    /// `evidence: 4x`: the step advances once every judged metric shows, at the judge's
    /// `advance_confidence`, that the canary fails less than this many times as often as stable.
    public var evidence: Double?

    public init(weight: Double, pause: Duration, evidence: Double? = nil) {
        self.weight = weight
        self.pause = pause
        self.evidence = evidence
    }

    /// Whether the step watches the metrics at all: a pause to wait out or evidence to wait for.
    public var isWatched: Bool { pause > .zero || evidence != nil }
}
