import Crypto
import Foundation

/// Tells a service's `notify:` targets how each of its deployments ended, once it has: after the revert
/// and the flags, so a slow or dead receiver never delays putting traffic back, and never changes the
/// exit code. A receiver that answers 429 or 5xx, or not at all, is tried again after a growing pause;
/// one that refuses (401, 404, …) is not. Every delivery, sent or given up on, is written to the log.
public struct Notifier: Sendable {
    private let targets: [String: [NotifyTarget]]
    private let http: any HTTPClient
    private let runURL: String?
    /// How often a delivery is tried, how long each try may take, and the pause after the first failure.
    public var tries = 3
    public var tryTimeout: Duration = .seconds(5)
    public var firstPause: Duration = .milliseconds(500)
    /// All deliveries of one ending together stop trying after this.
    public var deadline: Duration = .seconds(15)

    /// Nil when the configuration names no target.
    public init?(config: ShipctlConfig, http: any HTTPClient, environment: [String: String]) {
        let targets = Dictionary(
            uniqueKeysWithValues: config.services.map { ($0.name, config.notifyTargets(for: $0.name)) })
        guard targets.values.contains(where: { !$0.isEmpty }) else { return nil }
        self.targets = targets
        self.http = http
        self.runURL = Self.runURL(environment)
    }

    /// A reader that gathers what the notification of one deployment of `service` tells; nil when nobody listens.
    func follow(_ service: String) -> DeploymentStory? {
        targets[service]?.isEmpty == false ? DeploymentStory() : nil
    }

    /// Sends the ending `story` gathered to each target that asked for it, at once, and writes each delivery
    /// to `journal`.
    func deliver(_ story: DeploymentStory, to journal: DeploymentJournal, actor: Actor, redactor: Redactor) async {
        guard let ending = story.ending else { return }
        let due = (targets[ending.service] ?? []).filter { $0.on.contains(ending.outcome) }
        guard !due.isEmpty else { return }
        let message = NotificationMessage(ending: ending, actor: actor, runURL: runURL, redactor: redactor, at: Date())
        let started = ContinuousClock.now
        let deliveries = await withTaskGroup(of: (Int, NotificationDelivery).self) { group in
            for (position, target) in due.enumerated() {
                group.addTask {
                    (position, await send(message, to: target, started: started, redactor: redactor))
                }
            }
            var collected: [(Int, NotificationDelivery)] = []
            for await delivery in group { collected.append(delivery) }
            return collected.sorted { $0.0 < $1.0 }.map(\.1)
        }
        for delivery in deliveries { try? await journal.emit(.notified(delivery), delivery: .bestEffort) }
    }

    private func send(
        _ message: NotificationMessage, to target: NotifyTarget, started: ContinuousClock.Instant,
        redactor: Redactor
    ) async -> NotificationDelivery {
        let id = UUID().uuidString.lowercased()
        var headers = ["Content-Type": "application/json", "User-Agent": "shipctl"]
        let body: Data
        switch target.kind {
        case .slack:
            body = message.slack
        case .webhook(let secret):
            body = message.webhook(delivery: id)
            headers["X-Shipctl-Delivery"] = id
            headers["X-Shipctl-Event"] = "deployment.finished"
            if let secret { headers["X-Shipctl-Signature"] = Self.signature(of: body, secret: secret) }
        }
        var delivery = NotificationDelivery(
            target: target.name, host: target.host, id: id, outcome: message.ending.outcome, sent: false, tries: 0)
        var pause = firstPause
        while delivery.tries < tries {
            let left = deadline - (ContinuousClock.now - started)
            guard left > .zero else { break }
            delivery.tries += 1
            var again = true
            do {
                let response = try await http.send(
                    "POST", target.url, headers: headers, body: body, timeout: min(tryTimeout, left))
                delivery.status = response.status
                if (200..<300).contains(response.status) {
                    delivery.sent = true
                    delivery.error = nil
                    return delivery
                }
                let answer = response.refusedRedirect ?? String(decoding: response.body.prefix(200), as: UTF8.self)
                delivery.error = "HTTP \(response.status)" + (answer.isEmpty ? "" : ": \(answer)")
                // Only a busy or broken receiver may answer otherwise next time; a refusal stays a refusal.
                again = response.status == 429 || response.status >= 500
                if response.status == 429, let wait = response.headers["retry-after"].flatMap(Int.init), wait > 0 {
                    pause = max(pause, .seconds(min(wait, 10)))
                }
            } catch {
                delivery.status = nil
                // The address is a capability (a webhook's token in its path or query): only its host is told.
                delivery.error = [target.url.absoluteString, URLText.withoutPassword(target.url)].reduce(
                    error.description
                ) { $0.replacingOccurrences(of: $1, with: target.host) }
            }
            delivery.error = delivery.error.map { TerminalText.neutralised(redactor.redact($0), keepNewlines: false) }
            guard again, delivery.tries < tries, deadline - (ContinuousClock.now - started) > pause else { break }
            try? await Task.sleep(for: pause)
            pause = pause * 2
        }
        return delivery
    }

    /// `sha256=` and the hex HMAC-SHA256 of the body under the target's secret: what the receiver recomputes.
    static func signature(of body: Data, secret: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + code.map { String(format: "%02x", $0) }.joined()
    }

    /// The GitHub Actions run page, when this runs in one and the pieces look like a URL.
    static func runURL(_ environment: [String: String]) -> String? {
        guard let server = environment["GITHUB_SERVER_URL"], let repository = environment["GITHUB_REPOSITORY"],
            let run = environment["GITHUB_RUN_ID"]
        else { return nil }
        let url = "\(server)/\(repository)/actions/runs/\(run)"
        let safe = url.hasPrefix("https://") && !url.contains(where: { " <>|\"".contains($0) || $0.isNewline })
        return safe ? url : nil
    }
}
