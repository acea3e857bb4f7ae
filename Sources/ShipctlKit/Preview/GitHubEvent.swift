import Foundation

/// The part of a GitHub Actions event `shipctl preview sync` acts on: which
/// pull request, what happened to it, and its labels.
public struct GitHubEvent: Sendable {
    public enum Decision: Sendable, Equatable {
        case up(pr: Int)
        case down(pr: Int)
        case nothing(reason: String)
    }

    public var name: String
    public var action: String?
    public var pr: Int?
    public var labels: [String]
    /// The label a `labeled`/`unlabeled` event is about.
    public var label: String?

    /// Reads `GITHUB_EVENT_NAME` and the payload at `GITHUB_EVENT_PATH`.
    public static func load(environment: [String: String]) throws(ShipctlError) -> GitHubEvent {
        guard let name = environment["GITHUB_EVENT_NAME"], !name.isEmpty else {
            throw .usage(
                "GITHUB_EVENT_NAME is not set: `preview sync` runs inside a GitHub Actions workflow",
                hint: "outside of one, use `shipctl preview up --pr N` or `shipctl preview down --pr N`")
        }
        guard let path = environment["GITHUB_EVENT_PATH"], let data = FileManager.default.contents(atPath: path) else {
            throw .usage("GITHUB_EVENT_PATH does not name a readable event payload")
        }
        guard let payload = JSONValue.parse(String(decoding: data, as: UTF8.self)) else {
            throw .usage("the event payload at \(path) is not JSON")
        }
        let pullRequest = payload["pull_request"]
        var labels: [String] = []
        if case .array(let items)? = pullRequest?["labels"] { labels = items.compactMap { $0["name"]?.stringValue } }
        let written = payload["number"] ?? pullRequest?["number"]
        let number = Checked.int(written, in: PreviewEngine.pullRequestNumbers)
        if let written, written != .null, number == nil {
            throw .usage(
                "the event payload at \(path) names pull request `\(AnswerQuote.quote(written.canonical, limit: 40))`, which is not a pull request number"
            )
        }
        return GitHubEvent(
            name: name, action: payload["action"]?.stringValue, pr: number, labels: labels,
            label: payload["label"]?["name"]?.stringValue)
    }

    /// opened/reopened/synchronize → up; closed → down; the opt-out label → down
    /// (and removing it → up); anything else → nothing, said plainly.
    public func decision(optOutLabel: String) -> Decision {
        guard name == "pull_request" || name == "pull_request_target" else {
            return .nothing(
                reason: "event `\(name)` is not about a pull request; previews follow `pull_request` events")
        }
        guard let pr, let action else {
            return .nothing(reason: "the `\(name)` payload names no pull request number or action")
        }
        switch action {
        case "closed":
            return .down(pr: pr)
        case "opened", "reopened", "synchronize":
            return labels.contains(optOutLabel) ? .down(pr: pr) : .up(pr: pr)
        case "labeled" where label == optOutLabel:
            return .down(pr: pr)
        case "unlabeled" where label == optOutLabel:
            return .up(pr: pr)
        default:
            return .nothing(reason: "pull request #\(pr) was `\(action)`: nothing to do for its preview")
        }
    }
}
