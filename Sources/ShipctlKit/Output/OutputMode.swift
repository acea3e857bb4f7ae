import Foundation

/// How progress is shown: readable lines on a terminal, one JSON object per
/// line with `--json`, workflow commands under GitHub Actions.
public enum OutputMode: Sendable {
    case human
    case json
    case githubActions

    public static func detect(json: Bool, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> OutputMode
    {
        if json { return .json }
        return environment["GITHUB_ACTIONS"] == "true" ? .githubActions : .human
    }
}
