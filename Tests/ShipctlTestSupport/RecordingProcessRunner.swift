import Foundation
import ShipctlKit

/// A process runner for in-process engine tests: answers each program from a
/// script (the first rule whose words all appear in the argument vector wins)
/// and records every request, so a test can say what ran and in which order.
public final class RecordingProcessRunner: ProcessRunning, @unchecked Sendable {
    public struct Rule: Sendable {
        public var words: [String]
        /// How long the program takes, as a slow CLI call would.
        public var delay: Duration
        public var answer: @Sendable ([String]) -> ProcessResult

        public init(_ words: [String], stdout: String, status: Int32 = 0, delay: Duration = .zero) {
            self.init(words, delay: delay) { _ in ProcessResult.scripted(stdout: stdout, status: status) }
        }

        public init(_ words: [String], delay: Duration = .zero, answer: @escaping @Sendable ([String]) -> ProcessResult)
        {
            self.words = words
            self.delay = delay
            self.answer = answer
        }
    }

    private let lock = NSLock()
    private let rules: [Rule]
    private var recorded: [(argv: [String], at: Date)] = []
    private var finished: [(argv: [String], at: Date)] = []

    public init(_ rules: [Rule]) {
        self.rules = rules
    }

    public func run(_ request: ProcessRequest) async -> ProcessResult {
        lock.withLock { recorded.append((request.argv, Date())) }
        guard let rule = rules.first(where: { rule in rule.words.allSatisfy(request.argv.contains) }) else {
            return .scripted(
                stdout: "", stderr: "no scripted answer for \(request.argv.joined(separator: " "))", status: 127)
        }
        if rule.delay > .zero { try? await Task.sleep(for: rule.delay) }
        let result = rule.answer(request.argv)
        lock.withLock { finished.append((request.argv, Date())) }
        return result
    }

    /// Every argument vector run so far, with when it started.
    public var calls: [(argv: [String], at: Date)] { lock.withLock { recorded } }
    /// Every argument vector that has finished, with when.
    public var completions: [(argv: [String], at: Date)] { lock.withLock { finished } }
}

extension ProcessResult {
    public static func scripted(stdout: String, stderr: String = "", status: Int32 = 0) -> ProcessResult {
        ProcessResult(status: status, stdout: stdout, stderr: stderr, timedOut: false, attempts: 1, duration: .zero)
    }
}
