import Foundation

/// A reproducible random number generator (SplitMix64), with the draws traffic simulations need: the
/// forecasts `plan` makes of a step's evidence, and the tests' simulated canaries.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform draw in 0..<bound.
    public mutating func next(below bound: Int) -> Int {
        Int(next() % UInt64(max(bound, 1)))
    }

    /// A uniform draw in [0, 1).
    public mutating func uniform() -> Double {
        Double(next() >> 11) / Double(1 << 53)
    }

    /// Poisson(mean), by multiplying uniforms (Knuth): exact, and quick for the small means of a micro app.
    public mutating func poisson(_ mean: Double) -> Int {
        guard mean > 0 else { return 0 }
        let limit = exp(-mean)
        var count = 0
        var product = uniform()
        while product > limit {
            count += 1
            product *= uniform()
        }
        return count
    }

    /// Binomial(trials, probability), one Bernoulli draw per trial.
    public mutating func binomial(_ trials: Int, _ probability: Double) -> Int {
        (0..<max(trials, 0)).reduce(0) { count, _ in count + (uniform() < probability ? 1 : 0) }
    }
}
