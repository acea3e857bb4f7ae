import Foundation

/// What the judge has seen of one canary: per judged metric, the counts read so far and the
/// sequential test they feed, from the first evaluation after the canary got traffic on. Shared by
/// the evaluations of every step (a class, locked), because the judge's window is the whole canary.
final class JudgeLedger: @unchecked Sendable {
    struct Counts: Equatable {
        var canaryRequests = 0.0, canaryFailures = 0.0, stableRequests = 0.0, stableFailures = 0.0
    }

    private let lock = NSLock()
    private var tests: [String: RateRatioTest] = [:]
    /// The highest cumulative counts read per metric: `increase()` extrapolates and can dip; a dip adds nothing
    /// (raw counters, differenced by their tallies, never dip).
    private var seen: [String: Counts] = [:]
    private var started: Date?
    /// Per metric, stable's history as read when the canary started (nil inside: none could be read).
    private var histories: [String: StableHistory?] = [:]
    /// Per metric read as raw counters, each of its four queries' tally since the canary's start.
    private var tallies: [String: [CounterTally]] = [:]
    /// Per `mann-whitney` metric, the canary's and stable's values at each evaluation.
    private var samples: [String: (canary: [Double], stable: [Double])] = [:]

    /// Adds one evaluation's values; returns every value so far.
    func sample(_ metric: String, canary: Double, stable: Double) -> (canary: [Double], stable: [Double]) {
        lock.withLock {
            var both = samples[metric] ?? ([], [])
            if canary.isFinite { both.canary.append(canary) }
            if stable.isFinite { both.stable.append(stable) }
            samples[metric] = both
            return both
        }
    }

    /// When the canary first got traffic, as far as the judge knows: the first step's watch began then.
    func start(at now: Date) -> Date {
        lock.withLock {
            if started == nil { started = now }
            return started ?? now
        }
    }

    /// When the judge's window opened, once it has.
    var startedAt: Date? { lock.withLock { started } }

    /// Whether `metric`'s history was read already (or found unreadable).
    func hasHistory(_ metric: String) -> Bool { lock.withLock { histories[metric] != nil } }

    /// Keeps what was read of `metric`'s history; it joins the test when the test is made.
    func keep(history: StableHistory?, for metric: String) { lock.withLock { histories[metric] = .some(history) } }

    /// Whether `metric`'s raw counters were read at the canary's start.
    func hasBaseline(_ metric: String) -> Bool { lock.withLock { tallies[metric] != nil } }

    /// Keeps the raw counters read at the canary's start, in the judge's query order; the first reading stays.
    func keep(baseline: [[String: Double]], for metric: String) {
        lock.withLock {
            if tallies[metric] == nil { tallies[metric] = baseline.map(CounterTally.init(baseline:)) }
        }
    }

    /// Adds one evaluation's raw readings to `metric`'s tallies and returns each query's rise since the canary's
    /// start; nil, keeping nothing, when there is no baseline yet or `plausible` refuses those rises (a garbage
    /// reading kept would be every later reading's baseline).
    func tally(_ metric: String, _ snapshots: [[String: Double]], plausible: ([Double]) -> Bool) -> [Double]? {
        lock.withLock {
            guard var kept = tallies[metric], kept.count == snapshots.count else { return nil }
            for index in kept.indices { kept[index].add(snapshots[index]) }
            let rises = kept.map(\.increase)
            guard plausible(rises) else { return nil }
            tallies[metric] = kept
            return rises
        }
    }

    /// Folds in the cumulative counts of one evaluation; returns the test as it now stands.
    func observe(
        _ metric: String, cumulative: Counts, allowedRatio: Double, confidence: Double, advanceConfidence: Double = 0.95
    ) -> RateRatioTest {
        lock.withLock {
            var test =
                tests[metric]
                ?? RateRatioTest(
                    allowedRatio: allowedRatio, confidence: confidence, advanceConfidence: advanceConfidence,
                    history: histories[metric] ?? nil)
            let before = seen[metric] ?? Counts()
            // Whole counts, and never fewer than before.
            func count(_ value: Double, _ previous: Double) -> Double {
                value.isFinite ? max(previous, value.rounded()) : previous
            }
            let after = Counts(
                canaryRequests: count(cumulative.canaryRequests, before.canaryRequests),
                canaryFailures: count(cumulative.canaryFailures, before.canaryFailures),
                stableRequests: count(cumulative.stableRequests, before.stableRequests),
                stableFailures: count(cumulative.stableFailures, before.stableFailures))
            test.observe(
                .init(
                    canaryRequests: after.canaryRequests - before.canaryRequests,
                    canaryFailures: after.canaryFailures - before.canaryFailures,
                    stableRequests: after.stableRequests - before.stableRequests,
                    stableFailures: after.stableFailures - before.stableFailures))
            seen[metric] = after
            tests[metric] = test
            return test
        }
    }

    /// The canary requests counted for `metric` so far.
    func canaryRequests(_ metric: String) -> Double {
        lock.withLock { tests[metric]?.total.canaryRequests ?? 0 }
    }
}
