import Foundation
import ShipctlKit

/// Canaries simulated at a micro app's traffic, for the judge's error rates: Poisson arrivals split
/// between the versions by the step's weight, failures drawn per request, evaluated every `interval`;
/// a step advances when its pause has passed and the gate has seen the canary requests it needs (or,
/// for a step with `evidence`, once the gate shows it, until the canary's `ceiling`).
public enum CanarySimulation {
    public struct Traffic: Sendable {
        public var requestsPerSecond = 2.0
        public var stableFailureRate = 0.02
        public var canaryFailureRate = 0.02
        public var steps: [(weight: Double, pause: Double)] = [(0.2, 20), (0.6, 20)]
        /// Per step, the `evidence: Nx` it waits for (nil: `min_requests`), in the order of `steps`.
        public var evidence: [Double?] = []
        public var interval = 2.0
        public var maxExtension = 300.0
        public var ceiling = 1800.0
        /// Minutes of stable's history read before the canary (all traffic on stable), at
        /// `historyFailureRate` (stable's own when nil: no change at the deploy).
        public var historyMinutes = 0
        public var historyFailureRate: Double?
        /// An upstream outage that multiplies both versions' failure rates from a moment drawn uniformly in this range.
        public var outage: (from: ClosedRange<Double>, factor: Double)?

        public init() {}
    }

    /// How one simulated canary ended, and after how many seconds.
    public enum Ending: Equatable, Sendable {
        /// At 100 % after this many seconds.
        case promoted(Double)
        case reverted(Double)
        case insufficient
        case ceiling

        public var isReverted: Bool {
            if case .reverted = self { return true }
            return false
        }
    }

    /// What decides a simulated canary.
    public protocol Gate {
        /// Sees one evaluation's new counts; true reverts the canary now.
        mutating func evaluate(_ increment: RateRatioTest.Increment) -> Bool
        /// Canary requests (in all) before a step may advance.
        var requestsNeeded: Double { get }
        /// Whether the counts so far show the canary failing less than `ratio` times as often as stable.
        func holdsEvidence(_ ratio: Double) -> Bool
        /// Stable's counts before the canary, read when it starts.
        mutating func begin(history: StableHistory)
    }

    /// What one canary cost: how it ended, and the failed requests beyond stable's rate in its first hour
    /// (the canary's share while it ran, everyone's once promoted).
    public struct Result: Sendable {
        public var ending: Ending
        public var excessFailures: Double
    }

    /// Runs one canary through its steps.
    public static func run<G: Gate>(_ traffic: Traffic, random: inout SeededRandom, gate: inout G) -> Result {
        var elapsed = 0.0
        var canaryRequests = 0.0
        var excess = 0.0
        let outageAt = traffic.outage.map {
            $0.from.lowerBound + random.uniform() * ($0.from.upperBound - $0.from.lowerBound)
        }
        func rates() -> (stable: Double, canary: Double) {
            let factor = outageAt.map { elapsed >= $0 ? traffic.outage?.factor ?? 1 : 1 } ?? 1
            return (min(traffic.stableFailureRate * factor, 1), min(traffic.canaryFailureRate * factor, 1))
        }
        if traffic.historyMinutes > 0 {
            let pieces = (0..<traffic.historyMinutes).map { _ in
                let requests = random.poisson(traffic.requestsPerSecond * 60)
                let failures = random.binomial(requests, traffic.historyFailureRate ?? traffic.stableFailureRate)
                return StableHistory.Piece(requests: Double(requests), failures: Double(failures))
            }
            gate.begin(history: StableHistory(pieces: pieces))
        }
        for (index, step) in traffic.steps.enumerated() {
            let evidence = index < traffic.evidence.count ? traffic.evidence[index] : nil
            var inStep = 0.0
            while true {
                let (stableRate, canaryRate) = rates()
                let canary = random.poisson(traffic.requestsPerSecond * step.weight * traffic.interval)
                let stable = random.poisson(traffic.requestsPerSecond * (1 - step.weight) * traffic.interval)
                let increment = RateRatioTest.Increment(
                    canaryRequests: Double(canary),
                    canaryFailures: Double(random.binomial(canary, canaryRate)),
                    stableRequests: Double(stable),
                    stableFailures: Double(random.binomial(stable, stableRate)))
                elapsed += traffic.interval
                inStep += traffic.interval
                canaryRequests += increment.canaryRequests
                excess += increment.canaryRequests * (canaryRate - stableRate)
                if gate.evaluate(increment) { return Result(ending: .reverted(elapsed), excessFailures: excess) }
                if let evidence {
                    if inStep >= step.pause && gate.holdsEvidence(evidence) { break }
                    if elapsed >= traffic.ceiling { return Result(ending: .ceiling, excessFailures: excess) }
                } else {
                    if inStep >= step.pause && canaryRequests >= gate.requestsNeeded { break }
                    if inStep >= step.pause + traffic.maxExtension {
                        return Result(ending: .insufficient, excessFailures: excess)
                    }
                }
            }
        }
        let (stableRate, canaryRate) = rates()
        excess += max(0, 3600 - elapsed) * traffic.requestsPerSecond * (canaryRate - stableRate)
        return Result(ending: .promoted(elapsed), excessFailures: excess)
    }

    /// Runs `canaries` canaries, each with a fresh gate.
    public static func results<G: Gate>(_ traffic: Traffic, canaries: Int, seed: UInt64, gate: () -> G) -> [Result] {
        var random = SeededRandom(seed: seed)
        return (0..<canaries).map { _ in
            var fresh = gate()
            return run(traffic, random: &random, gate: &fresh)
        }
    }

    /// How each of `canaries` canaries ended.
    public static func endings<G: Gate>(_ traffic: Traffic, canaries: Int, seed: UInt64, gate: () -> G) -> [Ending] {
        results(traffic, canaries: canaries, seed: seed, gate: gate).map(\.ending)
    }

    /// The judge: the sequential test against 1 + `maxIncrease`, with `min_requests` fixed or auto.
    public struct Judge: Gate {
        private var test: RateRatioTest
        private let config: JudgeConfig

        public init(config: JudgeConfig, maxIncrease: Double = 0.5) {
            self.config = config
            test = RateRatioTest(
                allowedRatio: 1 + maxIncrease, confidence: config.confidence,
                advanceConfidence: config.advanceConfidence)
        }

        public func holdsEvidence(_ ratio: Double) -> Bool { test.provesBelow(ratio) }

        public mutating func begin(history: StableHistory) {
            test = RateRatioTest(
                allowedRatio: test.allowedRatio, confidence: test.confidence,
                advanceConfidence: test.advanceConfidence, history: history)
        }

        public mutating func evaluate(_ increment: RateRatioTest.Increment) -> Bool {
            test.observe(increment)
            return test.rejects
        }

        public var requestsNeeded: Double {
            Double(config.requiredRequests(allowedRatio: test.allowedRatio, stableRate: test.stableRate))
        }
    }

    /// A threshold gate as Argo Rollouts, Flagger and CodeDeploy alarms judge: the canary's error rate
    /// over the last `window` seconds against `max`, `failure_limit` failed evaluations tolerated, an
    /// empty window inconclusive (`inconclusive_limit` tolerated).
    public struct Threshold: Gate {
        public var max = 0.05
        public var window = 30.0
        public var interval = 2.0
        public var failureLimit = 1
        public var inconclusiveLimit = 3
        private var recent: [RateRatioTest.Increment] = []
        private var failures = 0, inconclusives = 0

        public init() {}

        public mutating func evaluate(_ increment: RateRatioTest.Increment) -> Bool {
            recent.append(increment)
            if Double(recent.count) * interval > window { recent.removeFirst() }
            let requests = recent.reduce(0) { $0 + $1.canaryRequests }
            guard requests > 0 else {
                inconclusives += 1
                return inconclusives > inconclusiveLimit
            }
            if recent.reduce(0, { $0 + $1.canaryFailures }) / requests > max { failures += 1 }
            return failures > failureLimit
        }

        public var requestsNeeded: Double { 0 }

        /// A threshold has no notion of evidence: a step with `evidence` advances on its pause alone.
        public func holdsEvidence(_ ratio: Double) -> Bool { true }

        public mutating func begin(history: StableHistory) {}
    }
}
