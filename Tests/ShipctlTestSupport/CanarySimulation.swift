import Foundation
import ShipctlKit

/// Canaries simulated at a micro app's traffic, for the judge's error rates: Poisson arrivals split
/// between the versions by the step's weight, failures drawn per request, evaluated every `interval`;
/// a step advances when its pause has passed and the gate has seen the canary requests it needs.
public enum CanarySimulation {
    public struct Traffic: Sendable {
        public var requestsPerSecond = 2.0
        public var stableFailureRate = 0.02
        public var canaryFailureRate = 0.02
        public var steps: [(weight: Double, pause: Double)] = [(0.2, 20), (0.6, 20)]
        public var interval = 2.0
        public var maxExtension = 300.0

        public init() {}
    }

    /// How one simulated canary ended, and after how many seconds.
    public enum Ending: Equatable, Sendable {
        case promoted
        case reverted(Double)
        case insufficient

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
    }

    /// Runs one canary through its steps.
    public static func run<G: Gate>(_ traffic: Traffic, random: inout SeededRandom, gate: inout G) -> Ending {
        var elapsed = 0.0
        var canaryRequests = 0.0
        for step in traffic.steps {
            var inStep = 0.0
            while true {
                let canary = random.poisson(traffic.requestsPerSecond * step.weight * traffic.interval)
                let stable = random.poisson(traffic.requestsPerSecond * (1 - step.weight) * traffic.interval)
                let increment = RateRatioTest.Increment(
                    canaryRequests: Double(canary),
                    canaryFailures: Double(random.binomial(canary, traffic.canaryFailureRate)),
                    stableRequests: Double(stable),
                    stableFailures: Double(random.binomial(stable, traffic.stableFailureRate)))
                elapsed += traffic.interval
                inStep += traffic.interval
                canaryRequests += increment.canaryRequests
                if gate.evaluate(increment) { return .reverted(elapsed) }
                if inStep >= step.pause && canaryRequests >= gate.requestsNeeded { break }
                if inStep >= step.pause + traffic.maxExtension { return .insufficient }
            }
        }
        return .promoted
    }

    /// Runs `canaries` canaries, each with a fresh gate.
    public static func endings<G: Gate>(_ traffic: Traffic, canaries: Int, seed: UInt64, gate: () -> G) -> [Ending] {
        var random = SeededRandom(seed: seed)
        return (0..<canaries).map { _ in
            var fresh = gate()
            return run(traffic, random: &random, gate: &fresh)
        }
    }

    /// The judge: the sequential test against 1 + `maxIncrease`, with `min_requests` fixed or auto.
    public struct Judge: Gate {
        private var test: RateRatioTest
        private let config: JudgeConfig

        public init(config: JudgeConfig, maxIncrease: Double = 0.5) {
            self.config = config
            test = RateRatioTest(allowedRatio: 1 + maxIncrease, confidence: config.confidence)
        }

        public mutating func evaluate(_ increment: RateRatioTest.Increment) -> Bool {
            test.observe(increment)
            return test.rejects
        }

        public var requestsNeeded: Double {
            Double(config.requiredRequests(allowedRatio: test.allowedRatio, stableRate: test.stableRate))
        }
    }

    /// The best a sequential test at the same confidence can hope for: a sequential probability
    /// ratio test (Wald 1945) that knows the canary's true rate ratio, the alternative no real
    /// judge knows, against the same null 1 + `maxIncrease`, with the same `min_requests`.
    public struct Oracle: Gate {
        private let allowedRatio: Double, trueRatio: Double, threshold: Double
        private var logLikelihoodRatio = 0.0
        public let requestsNeeded: Double

        public init(trueRatio: Double, maxIncrease: Double, confidence: Double = 0.98, minRequests: Double = 30) {
            self.trueRatio = trueRatio
            allowedRatio = 1 + maxIncrease
            threshold = log(1 / (1 - confidence))
            requestsNeeded = minRequests
        }

        public mutating func evaluate(_ increment: RateRatioTest.Increment) -> Bool {
            logLikelihoodRatio += RateRatioTest.logLikelihoodRatio(
                increment, alternative: trueRatio, null: allowedRatio)
            return logLikelihoodRatio >= threshold
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
    }
}
