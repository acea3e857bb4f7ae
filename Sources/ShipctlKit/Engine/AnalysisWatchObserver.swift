import Foundation

/// What an `AnalysisWatch` tells its owner: a live canary reports and records each
/// evaluation and stops when its lock is lost; `analyze` tallies the past and stops at
/// the end of its window.
protocol AnalysisWatchObserver {
    /// The pause is over but judged metrics still lack evidence; said once per watch, with how long the step
    /// may still wait and what follows then.
    func waitingPastPause(label: String, waitingFor: [String], upTo: Duration, then: String) async throws(ShipctlError)
    /// One round of evaluations, in the order of the configuration; `leftMs` is the pause left.
    func evaluated(_ evaluations: [MetricEvaluation], label: String, confirming: Bool, leftMs: Int64)
        async throws(ShipctlError)
    /// Asked before every round: true ends the watch at once, as passed (the caller knows why).
    func shouldStop() async -> Bool
}
