import Foundation

/// How progress is shown: readable lines on a terminal, one JSON object per
/// line with `--json`, workflow commands under GitHub Actions.
public enum OutputMode: Sendable {
    case human
    case json
    case githubActions

    public static func detect(json: Bool, environment: [String: String] = ProcessInfo.processInfo.environment) -> OutputMode {
        if json { return .json }
        return environment["GITHUB_ACTIONS"] == "true" ? .githubActions : .human
    }
}

/// Everything shipctl tells the user goes through here, redacted. Lines are
/// written unbuffered so a CI log shows them as they happen, even if the
/// process is killed the next moment.
public struct Reporter: Sendable {
    public let mode: OutputMode
    public let redactor: Redactor
    private let out: @Sendable (String) -> Void
    private let err: @Sendable (String) -> Void
    private let summaryPath: String?

    public init(mode: OutputMode, redactor: Redactor, summaryPath: String? = ProcessInfo.processInfo.environment["GITHUB_STEP_SUMMARY"],
                out: @escaping @Sendable (String) -> Void = Reporter.standardOutput,
                err: @escaping @Sendable (String) -> Void = Reporter.standardError) {
        self.mode = mode
        self.redactor = redactor
        self.summaryPath = summaryPath
        self.out = out
        self.err = err
    }

    public static let standardOutput: @Sendable (String) -> Void = { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) }
    public static let standardError: @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }

    /// A progress event: `kind` names it for machines, `message` for people.
    public func event(_ kind: String, _ message: String, _ fields: [String: JSONValue] = [:]) {
        switch mode {
        case .json:
            var object = fields
            object["event"] = .string(kind)
            object["message"] = .string(message)
            out(redactor.redact(JSONValue.object(object).canonical))
        case .human, .githubActions:
            out(redactor.redact(message))
        }
    }

    /// Opens a collapsible section in GitHub Actions; a heading elsewhere.
    public func beginGroup(_ title: String) {
        switch mode {
        case .githubActions: out(redactor.redact("::group::\(title)"))
        case .human: out(redactor.redact("── \(title)"))
        case .json: break
        }
    }

    public func endGroup() {
        if mode == .githubActions { out("::endgroup::") }
    }

    /// A failure the user must see; on stderr, and as `::error::` in GitHub Actions.
    public func failure(_ message: String) {
        let text = redactor.redact(message)
        switch mode {
        case .json:
            out(JSONValue.object(["event": "error", "message": .string(text)]).canonical)
        case .githubActions:
            err("::error::" + text.replacingOccurrences(of: "\n", with: "%0A"))
        case .human:
            err("error: " + text)
        }
    }

    public func warning(_ message: String) {
        let text = redactor.redact(message)
        switch mode {
        case .json: out(JSONValue.object(["event": "warning", "message": .string(text)]).canonical)
        case .githubActions: err("::warning::" + text.replacingOccurrences(of: "\n", with: "%0A"))
        case .human: err("warning: " + text)
        }
    }

    /// Appends Markdown to the GitHub Actions job summary, when there is one.
    public func appendSummary(_ markdown: String) {
        guard mode == .githubActions, let summaryPath, let handle = FileHandle(forWritingAtPath: summaryPath) else { return }
        handle.seekToEndOfFile()
        handle.write(Data((redactor.redact(markdown) + "\n").utf8))
        try? handle.close()
    }
}
