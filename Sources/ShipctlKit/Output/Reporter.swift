import Foundation

/// Everything shipctl tells the user goes through here, redacted. Lines are
/// written unbuffered so a CI log shows them as they happen, even if the
/// process is killed the next moment.
public struct Reporter: Sendable {
    public let mode: OutputMode
    public let redactor: Redactor
    /// The service this reporter speaks for when several run at once: prefixed to
    /// its lines, a `service` field in its JSON, no workflow groups of its own.
    public private(set) var label: String?
    /// Under GitHub Actions, a labelled reporter also keeps its lines for a group of their own at the end.
    public private(set) var transcript: Transcript?
    private var out: @Sendable (String) -> Void
    private let err: @Sendable (String) -> Void
    private let summaryPath: String?
    /// On a terminal a person watches: the status block that redraws in place.
    private var live: LiveView?
    /// Speaking for a dry run: every line says nothing happened, every JSON object carries `dry_run: true`.
    public private(set) var dryRun = false

    public init(
        mode: OutputMode, redactor: Redactor,
        summaryPath: String? = ProcessInfo.processInfo.environment["GITHUB_STEP_SUMMARY"],
        live: LiveView? = nil,
        out: @escaping @Sendable (String) -> Void = Reporter.standardOutput,
        err: @escaping @Sendable (String) -> Void = Reporter.standardError
    ) {
        self.mode = mode
        self.redactor = redactor
        self.summaryPath = summaryPath
        self.live = mode == .human ? live : nil
        self.out = out
        self.err = err
    }

    /// The same reporter for one of several services running at once.
    public func labelled(_ label: String) -> Reporter {
        var copy = self
        copy.label = label
        // One block cannot show several canaries: services running at once print plain lines.
        copy.live = nil
        copy.transcript = mode == .githubActions ? Transcript() : nil
        // Problems are not kept: replayed, an `::error::` line would annotate the run a second time.
        let out = self.out
        if let transcript = copy.transcript {
            copy.out = { line in
                transcript.append(line)
                out(line)
            }
        }
        return copy
    }

    /// The same reporter for `--dry-run`: a line read alone ("now 90% on 2") must not pass for something done.
    public func dryRunning() -> Reporter {
        var copy = self
        copy.dryRun = true
        // The status block would show a split that never existed: plain, marked lines instead.
        copy.live = nil
        return copy
    }

    /// One collapsible section holding lines that were already made safe (a service's transcript).
    public func group(_ title: String, replaying lines: [String]) {
        beginGroup(title)
        for line in lines { out(line) }
        endGroup()
    }

    private var prefix: String { (label.map { "[\($0)] " } ?? "") + (dryRun ? Self.dryRunMark : "") }

    /// What begins every line of a dry run, for people.
    public static let dryRunMark = "[dry run, nothing changed] "

    public static let standardOutput: @Sendable (String) -> Void = {
        FileHandle.standardOutput.write(Data(($0 + "\n").utf8))
    }
    public static let standardError: @Sendable (String) -> Void = {
        FileHandle.standardError.write(Data(($0 + "\n").utf8))
    }

    /// Asks a person at a terminal (`init` without its flags): the question on stderr, the answer from stdin.
    public static func ask(_ question: String) -> String? {
        FileHandle.standardError.write(Data("\(TerminalText.neutralised(question, keepNewlines: false)): ".utf8))
        return readLine()?.trimmingCharacters(in: .whitespaces)
    }

    /// A progress event: `kind` names it for machines, `message` for people.
    public func event(_ kind: String, _ message: String, _ fields: [String: JSONValue] = [:]) {
        switch mode {
        case .json:
            var object = fields
            object["event"] = .string(kind)
            object["message"] = .string(message)
            if let label { object["service"] = .string(label) }
            json(.object(object), event: kind)
        case .human, .githubActions:
            guard let live else { return line(message) }
            // The block shows values from outside too: they are masked like every line.
            guard case .object(let shown) = redactor.redact(.object(fields)) else { return line(message) }
            if live.event(kind, shown) { line(message) }
        }
    }

    /// Takes the live status block off the screen for good (the run is over).
    public func close() {
        live?.close()
    }

    /// A finished line to standard output, above the live block when there is one.
    private func emit(_ text: String) {
        if let live { live.print(text) } else { out(text) }
    }

    /// Plain output a person reads (a table, a status block), one or more lines; under `--json`,
    /// a `message` event, so every line of machine output is one JSON object.
    public func line(_ text: String) {
        if mode == .json {
            return json(
                .object(["message": .string(text)].merging(label.map { ["service": .string($0)] } ?? [:]) { $1 }),
                event: "message")
        }
        emit(
            safe(
                prefix.isEmpty
                    ? text
                    : text.split(separator: "\n", omittingEmptySubsequences: false).map { prefix + $0 }.joined(
                        separator: "\n")))
    }

    /// The version of the `--json` line format (`docs/events.md`), in every line's `schema`.
    public static let schemaVersion: Int64 = 1

    /// One JSON object on its own line, named by `event` (kept when the object names its own) and
    /// carrying `schema`; secrets are hidden in each string before encoding, so escaping can never
    /// change a secret into something not recognised.
    public func json(_ value: JSONValue, event: String) {
        var object: [String: JSONValue]
        if case .object(let fields) = value { object = fields } else { object = ["value": value] }
        if object["event"] == nil { object["event"] = .string(event) }
        object["schema"] = .int(Self.schemaVersion)
        if dryRun { object["dry_run"] = .bool(true) }
        out(redactor.redact(.object(object)).canonical)
    }

    /// Opens a collapsible section in GitHub Actions; a heading elsewhere.
    public func beginGroup(_ title: String) {
        let title = TerminalText.neutralised(redactor.redact(title), keepNewlines: false)
        // Groups of services running at once would interleave; each gets a heading line instead.
        if label != nil, mode != .json { return emit(TerminalText.defusingWorkflowCommands("\(prefix)── \(title)")) }
        switch mode {
        case .githubActions:
            out("::group::" + TerminalText.workflowCommandData(TerminalText.defusingWorkflowCommands(prefix + title)))
        case .human: emit(TerminalText.defusingWorkflowCommands("\(prefix)── \(title)"))
        case .json: break
        }
    }

    public func endGroup() {
        if mode == .githubActions, label == nil { out("::endgroup::") }
    }

    /// A failure the user must see; on stderr, and as `::error::` in GitHub Actions.
    public func failure(_ message: String) {
        problem("error", message)
    }

    public func warning(_ message: String) {
        problem("warning", message)
    }

    private func problem(_ kind: String, _ message: String) {
        let message = prefix + message
        switch mode {
        case .json:
            json(
                .object(
                    ["message": .string(message)].merging(label.map { ["service": .string($0)] } ?? [:]) { $1 }),
                event: kind)
        case .githubActions:
            err(
                "::\(kind)::"
                    + TerminalText.workflowCommandData(
                        TerminalText.defusingWorkflowCommands(TerminalText.neutralised(redactor.redact(message)))))
        case .human:
            let shown = safe("\(kind): " + message)
            if let live { live.aside { err(shown) } } else { err(shown) }
        }
    }

    /// Whether `appendSummary` goes anywhere: worth building a summary for.
    public var writesSummary: Bool { mode == .githubActions && summaryPath != nil }

    /// Appends Markdown to the GitHub Actions job summary, when there is one.
    public func appendSummary(_ markdown: String) {
        guard mode == .githubActions, let summaryPath, let handle = FileHandle(forWritingAtPath: summaryPath) else {
            return
        }
        handle.seekToEndOfFile()
        handle.write(Data((TerminalText.neutralised(redactor.redact(markdown)) + "\n").utf8))
        try? handle.close()
    }

    /// Redacted, control characters escaped, and under GitHub Actions no line left that the runner would take for a command.
    private func safe(_ text: String) -> String {
        let shown = TerminalText.neutralised(redactor.redact(text))
        return mode == .githubActions ? TerminalText.defusingWorkflowCommands(shown) : shown
    }
}
