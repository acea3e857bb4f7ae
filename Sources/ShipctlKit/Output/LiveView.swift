import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// On a terminal, one status block at the bottom that redraws in place while
/// a canary runs: the service, the step, a weight bar, the time left in the
/// pause and the latest value of each metric against its threshold. Every
/// other line still scrolls by above it; the evaluations themselves stay in
/// `--json` and the audit log. The block is erased for good when the
/// deployment ends, so the screen ends with the outcome line.
public final class LiveView: @unchecked Sendable {
    struct Metric {
        var name: String
        var value: String
        var threshold: String
        var verdict: String
    }

    private let lock = NSLock()
    private let write: @Sendable (String) -> Void
    private let now: @Sendable () -> Date
    private var title = ""
    private var step = ""
    private var weight: Double = 0
    private var pauseEnds: Date?
    private var metrics: [Metric] = []
    private var active = false
    private var drawnLines = 0
    private var ticker: DispatchSourceTimer?
    /// The bar's width in cells.
    static let barWidth = 30

    private let ticks: Bool

    public init(
        write: @escaping @Sendable (String) -> Void, now: @escaping @Sendable () -> Date = { Date() },
        ticks: Bool = true
    ) {
        self.write = write
        self.now = now
        self.ticks = ticks
    }

    /// The time left counts down between evaluations too; the timer runs only once a
    /// deployment has started, not for every command that happens to run on a terminal.
    private func startTicking() {
        guard ticks, ticker == nil else { return }
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue.global(qos: .utility))
        timer.schedule(deadline: .now() + 1, repeating: 1)
        timer.setEventHandler { [weak self] in self?.tick() }
        timer.resume()
        ticker = timer
    }

    deinit { ticker?.cancel() }

    /// A live view for this process's standard output when a person is watching
    /// it: a terminal that understands cursor movement, colour allowed, not CI.
    public static func forTerminal(environment: [String: String]) -> LiveView? {
        guard isatty(STDOUT_FILENO) == 1, environment["NO_COLOR"] == nil, environment["TERM"] != "dumb",
            environment["GITHUB_ACTIONS"] != "true", environment["TERM"] != nil
        else { return nil }
        return LiveView(write: { FileHandle.standardOutput.write(Data($0.utf8)) })
    }

    /// Takes in one progress event; returns whether its line should still be printed
    /// (an evaluation only updates the block).
    public func event(_ kind: String, _ fields: [String: JSONValue]) -> Bool {
        lock.withLock {
            switch kind {
            case "start", "resume":
                active = true
                startTicking()
                let service = fields["service"]?.stringValue ?? ""
                let env = fields["env"]?.stringValue ?? ""
                let canary = fields["canary"]?.stringValue ?? "?"
                let stable = fields["stable"]?.stringValue ?? "?"
                title = "\(service)/\(env): version \(canary) over \(stable)"
                return true
            case "shift":
                weight = fields["weight"]?.doubleValue ?? weight
                if let index = fields["step"]?.doubleValue, let count = fields["steps"]?.doubleValue {
                    step = "step \(Percent.format(index))/\(Percent.format(count))"
                }
                pauseEnds = fields["pause_ms"]?.doubleValue.flatMap {
                    $0 > 0 ? now().addingTimeInterval($0 / 1000) : nil
                }
                metrics = []
                return true
            case "analysis":
                if let left = fields["left_ms"]?.doubleValue { pauseEnds = now().addingTimeInterval(left / 1000) }
                if case .array(let items)? = fields["metrics"] {
                    for item in items {
                        let metric = Metric(
                            name: item["metric"]?.stringValue ?? "?",
                            value: item["value"]?.doubleValue.map(MetricEvaluation.format) ?? "no value",
                            threshold: item["threshold"]?.stringValue ?? "",
                            verdict: item["verdict"]?.stringValue ?? "?")
                        if let index = metrics.firstIndex(where: { $0.name == metric.name }) {
                            metrics[index] = metric
                        } else {
                            metrics.append(metric)
                        }
                    }
                }
                return !active
            case "finish", "gate-failed", "noop":
                active = false
                return true
            default:
                return true
            }
        }
    }

    /// Writes `text` (already safe) above the block, then the block again.
    public func print(_ text: String) {
        lock.withLock {
            write(erase() + text + "\n" + block())
        }
    }

    /// Runs `body` (which writes elsewhere, e.g. standard error) with the block off the screen.
    public func aside(_ body: () -> Void) {
        lock.withLock {
            write(erase())
            body()
            write(block())
        }
    }

    /// Takes the block off the screen for good.
    public func close() {
        lock.withLock {
            active = false
            ticker?.cancel()
            write(erase())
        }
    }

    private func tick() {
        lock.withLock {
            guard active, drawnLines > 0 else { return }
            write(erase() + block())
        }
    }

    /// Moves back over the lines the block took and clears them.
    private func erase() -> String {
        defer { drawnLines = 0 }
        return drawnLines > 0 ? "\u{1B}[\(drawnLines)F\u{1B}[J" : ""
    }

    private func block() -> String {
        guard active, !title.isEmpty else { return "" }
        let safe = { (text: String) in TerminalText.neutralised(text, keepNewlines: false) }
        let clamped = min(max(weight.isFinite ? weight : 0, 0), 100)
        let filled = Int((clamped / 100 * Double(Self.barWidth)).rounded())
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: Self.barWidth - filled)
        var lines = ["\u{1B}[1m▶ \(safe(title))\u{1B}[0m" + (step.isEmpty ? "" : " · \(step)")]
        var traffic = "  traffic  \u{1B}[36m\(bar)\u{1B}[0m \(Percent.format(clamped))%"
        if let pauseEnds {
            let left = max(0, pauseEnds.timeIntervalSince(now()))
            traffic += left.isFinite && left < 1e9 ? " · \(Int(left.rounded(.up)))s left in the pause" : ""
        }
        lines.append(traffic)
        let width = metrics.map { $0.name.count }.max() ?? 0
        for metric in metrics {
            let colour = ["pass", "proven"].contains(metric.verdict) ? "32" : (metric.verdict == "fail" ? "31" : "33")
            let name = safe(metric.name).padding(toLength: max(width, 1), withPad: " ", startingAt: 0)
            lines.append(
                "  \(name)  \(safe(metric.value)) (\(safe(metric.threshold))) \u{1B}[\(colour)m\(safe(metric.verdict))\u{1B}[0m"
            )
        }
        drawnLines = lines.count
        return lines.joined(separator: "\n") + "\n"
    }
}
