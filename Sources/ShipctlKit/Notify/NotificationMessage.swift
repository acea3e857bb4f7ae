import Foundation

/// What a target receives about a deployment's ending: a readable Slack message, or the event as JSON
/// for a webhook. Every value is redacted before it is encoded.
struct NotificationMessage {
    let ending: DeploymentStory.Ending
    let actor: Actor
    /// The CI run that did it (GitHub Actions), when there is one.
    let runURL: String?
    let redactor: Redactor
    let at: Date

    /// The JSON version of a webhook body; a receiver checks it before reading the rest.
    static let schemaVersion = 1

    /// A Slack incoming webhook's body: `text`, in Slack's markup.
    var slack: Data {
        Data(redactor.redact(JSONValue.object(["text": .string(slackText)])).canonical.utf8)
    }

    /// A webhook's body: the ending as an event, with the delivery id the receiver can deduplicate on.
    func webhook(delivery: String) -> Data {
        var metric: JSONValue = .null
        if let deciding = ending.deciding {
            metric = .object([
                "name": .string(deciding.metric), "value": deciding.value.map(JSONValue.number) ?? .null,
                "threshold": .string(deciding.threshold), "judge": deciding.judge?.json ?? .null,
            ])
        }
        let event: JSONValue = .object([
            "event": "deployment.finished", "schema_version": .int(Int64(Self.schemaVersion)),
            "delivery": .string(delivery), "at": .string(Timestamp.format(at)),
            "deployment": .string(ending.deployment), "service": .string(ending.service), "env": .string(ending.env),
            "outcome": .string(ending.outcome.rawValue), "version": .string(ending.version),
            "stable": ending.stable.map(JSONValue.string) ?? .null,
            "canary": ending.canary.map(JSONValue.string) ?? .null,
            "reason": ending.reason.map(JSONValue.string) ?? .null, "metric": metric,
            "actor": .string(actor.name), "run": actor.run.map(JSONValue.string) ?? .null,
            "run_url": runURL.map(JSONValue.string) ?? .null,
        ])
        return Data(redactor.redact(event).canonical.utf8)
    }

    var slackText: String {
        let service = "*\(SlackText.escaped(ending.service))* in *\(SlackText.escaped(ending.env))*"
        let canary = ending.canary.map { "version \(SlackText.escaped($0))" } ?? "the new version"
        let serving = "version \(SlackText.escaped(ending.version)) serves all traffic"
        var lines: [String]
        switch ending.outcome {
        case .succeeded:
            let was = ending.stable.map { " (was \(SlackText.escaped($0)))" } ?? ""
            lines = [":white_check_mark: \(service): \(serving)\(was)"]
        case .rolledBack:
            lines = [":rotating_light: \(service): \(canary) was rolled back; \(serving)"]
        case .failed:
            lines = [":x: \(service): the deployment of \(canary) failed; \(serving)"]
        case .interrupted:
            lines = [":warning: \(service): the deployment of \(canary) was interrupted; \(serving)"]
        }
        if let deciding = ending.deciding {
            let evidence =
                deciding.judge.map { "\(deciding.metric): \($0.summary)" }
                ?? "\(deciding.metric) = \(deciding.value.map(MetricEvaluation.format) ?? "no value") "
                + "(threshold: \(deciding.threshold))"
            lines.append("*Metric:* \(SlackText.escaped(evidence))")
        }
        if let reason = ending.reason { lines.append("*Why:* \(SlackText.escaped(reason))") }
        var by = "*By:* \(SlackText.escaped(actor.name))"
        if let run = actor.run { by += ", run \(SlackText.escaped(run))" }
        if let runURL { by += " · <\(runURL)|open the run>" }
        lines.append(by)
        lines.append("deployment `\(SlackText.escaped(ending.deployment))`")
        return lines.joined(separator: "\n")
    }
}
