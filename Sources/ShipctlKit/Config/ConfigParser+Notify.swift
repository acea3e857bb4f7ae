import Foundation
import Yams

extension ConfigParser {
    /// A `notify:` list, at the top level or in a service block.
    func parseNotify(_ node: Node, key: String) -> [NotifyTarget] {
        guard let items = reader.sequence(node, key: key) else { return [] }
        return items.enumerated().compactMap { index, item in parseNotifyTarget(item, key: "\(key)[\(index)]") }
    }

    private func parseNotifyTarget(_ node: Node, key: String) -> NotifyTarget? {
        guard let fields = reader.mapping(node, key: key, allowed: ["slack", "webhook", "secret", "on"]) else {
            return nil
        }
        let given = ["slack", "webhook"].filter { fields[$0] != nil }
        guard given.count == 1, let kind = given.first, let urlNode = fields[kind] else {
            reader.report(
                node, key,
                given.isEmpty
                    ? "give `slack: <incoming webhook URL>` or `webhook: <URL>` with `secret:`"
                    : "one target per entry: give `slack:` and `webhook:` as two entries")
            return nil
        }
        guard let text = reader.url(urlNode, key: "\(key).\(kind)"), let url = URL(string: text) else { return nil }
        let secret = fields["secret"].flatMap { reader.secret($0, key: "\(key).secret") }
        let on = fields["on"].map { parseOutcomes($0, key: "\(key).on") } ?? NotifyOutcome.defaults
        if kind == "slack" {
            // A Slack webhook's path is its token: whoever has the URL can post to the channel.
            reader.learnSecret(text)
            if url.path.count >= EnvironmentInterpolator.minimumSecretLength { reader.learnSecret(url.path) }
            if let secretNode = fields["secret"] {
                reader.report(secretNode, "\(key).secret", "`secret` signs a `webhook`; a Slack URL needs none")
            }
            return NotifyTarget(kind: .slack, url: url, on: on)
        }
        guard fields["secret"] != nil else {
            reader.report(
                node, "\(key).secret",
                "a webhook needs `secret:` (e.g. \"${SHIPCTL_WEBHOOK_SECRET}\"): its receiver checks the "
                    + "X-Shipctl-Signature header to know the message came from shipctl")
            return nil
        }
        return NotifyTarget(kind: .webhook(secret: secret), url: url, on: on)
    }

    private func parseOutcomes(_ node: Node, key: String) -> Set<NotifyOutcome> {
        let known = NotifyOutcome.allCases.map(\.rawValue)
        guard let items = reader.sequence(node, key: key) else { return [] }
        if items.isEmpty {
            reader.report(node, key, "list at least one of: \(known.joined(separator: ", "))")
        }
        var outcomes: Set<NotifyOutcome> = []
        for (index, item) in items.enumerated() {
            guard let name = reader.string(item, key: "\(key)[\(index)]") else { continue }
            guard let outcome = NotifyOutcome(rawValue: name) else {
                let near = YAMLReader.nearest(name, in: known).map { " (did you mean `\($0)`?)" } ?? ""
                reader.report(
                    item, "\(key)[\(index)]", "expected one of: \(known.joined(separator: ", ")), got `\(name)`\(near)")
                continue
            }
            outcomes.insert(outcome)
        }
        return outcomes
    }
}
