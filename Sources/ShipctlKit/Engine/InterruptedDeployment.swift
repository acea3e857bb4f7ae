import Foundation

/// What an operator needs to hear about a deployment that stopped half way
/// (process killed, runner lost): which one, how far it got, where traffic is
/// now, and the two ways on. `promote` (exit 5) and `status` say the same.
public struct InterruptedDeployment: Sendable {
    public var inFlight: DeploymentHistory.InFlight
    public var service: String
    public var env: String
    public var live: String

    public init(_ inFlight: DeploymentHistory.InFlight, service: String, env: String, live: String) {
        self.inFlight = inFlight
        self.service = service
        self.env = env
        self.live = live
    }

    public var reached: String {
        "\(inFlight.lastStep) (\(inFlight.lastAction) \(inFlight.lastPhase.rawValue)), canary at \(Percent.format(inFlight.lastWeight ?? 0))% in its last recorded shift"
    }

    public var waysOn: [String] {
        let resume = inFlight.revertReason == nil ? "continue it:" : "finish its revert:"
        return [
            "\(resume) shipctl resume --service \(service) --env \(env)",
            "revert it:   shipctl abort --service \(service) --env \(env)",
        ]
    }

    public var message: String {
        var text =
            "deployment \(inFlight.deployment) of \(service)/\(env) (\(inFlight.stable) → \(inFlight.canary)) was interrupted at \(reached); live traffic: \(live)"
        if let reason = inFlight.revertReason { text += "\nit was reverting when it stopped: \(reason)" }
        return ([text] + waysOn.map { "  " + $0 }).joined(separator: "\n")
    }
}
