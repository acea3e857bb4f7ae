import Foundation

/// One canary step: the percentage of traffic on the new version, and how long
/// to watch it before the next step.
public struct CanaryStep: Sendable, Equatable {
    public var weight: Double
    public var pause: Duration

    public init(weight: Double, pause: Duration) {
        self.weight = weight
        self.pause = pause
    }
}
