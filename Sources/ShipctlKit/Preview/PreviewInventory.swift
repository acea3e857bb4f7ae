import Foundation

/// Every preview of some services, found where previews live — the secrets `preview up` tagged, the
/// terraform workspaces `pr-N` — and merged with what the audit log knows. A fresh CI runner with an
/// empty log (where the nightly `preview gc` runs) still finds what has expired.
public struct PreviewInventory: Sendable {
    public let previews: [PreviewState]
    /// The places that could not be asked, each with why: what they hold is missing from `previews`.
    public let unreachable: [String]
    /// Secrets tagged as a preview's that are not among the secrets its service's `preview up` makes (anyone
    /// allowed to create and tag secrets can plant one): named, and never evidence of a preview's expiry.
    public let foreign: [String]

    public static func gather(
        config: ShipctlConfig, env: EnvironmentConfig, services: [ServiceConfig], dependencies: Dependencies
    ) async throws(ShipctlError) -> PreviewInventory {
        let names = Set(services.map(\.name))
        var found = try await PreviewHistory.read(from: dependencies.store).previews.filter {
            names.contains($0.service)
        }
        var unreachable: [String] = []
        var foreign: [String] = []
        var cloud: [PreviewState] = []
        if services.contains(where: { !($0.preview?.secrets.isEmpty ?? true) }) {
            let secrets = PreviewSecrets(
                region: env.region, callTimeout: config.timeouts.providerCall, runner: dependencies.runner,
                redactor: dependencies.redactor)
            do {
                for (name, preview) in try await secrets.previews() where names.contains(preview.service) {
                    let own = services.first { $0.name == preview.service }.map {
                        PreviewEngine.secretNames(of: $0, env: env, pr: preview.pr)
                    }
                    if own?.contains(name) == true {
                        cloud.append(preview)
                    } else {
                        foreign.append(
                            "\(name) (tagged as pull request \(preview.pr) of \(preview.service), "
                                + "which makes no secret of that name)")
                    }
                }
            } catch {
                unreachable.append("Secrets Manager (\(error.description))")
            }
        }
        for service in services {
            guard let preview = service.preview else { continue }
            // A folder that changes with the pull request has no one place to list workspaces in.
            guard !preview.terraform.dir.contains("{{pr}}") else { continue }
            let directory = config.resolvePath(
                Placeholders(["service": service.name, "env": env.name]).fill(preview.terraform.dir))
            let terraform = Terraform(
                directory: directory, variables: [], applyTimeout: config.timeouts.terraform, workspace: nil,
                runner: dependencies.runner, redactor: dependencies.redactor)
            do {
                try await terraform.initialise()
                for workspace in try await terraform.workspaces() {
                    guard workspace.hasPrefix("pr-"),
                        let pr = Checked.int(
                            .string(String(workspace.dropFirst(3))), in: PreviewEngine.pullRequestNumbers)
                    else { continue }
                    cloud.append(
                        PreviewState(
                            service: service.name, pr: pr, created: nil, updated: nil, expiresAt: nil, outputs: [:],
                            foundIn: [.terraform]))
                }
            } catch {
                unreachable.append("the terraform workspaces of \(service.name) in \(directory) (\(error.description))")
            }
        }
        for entry in cloud {
            if let index = found.firstIndex(where: { $0.service == entry.service && $0.pr == entry.pr }) {
                found[index].merge(entry)
            } else {
                found.append(entry)
            }
        }
        return PreviewInventory(previews: found, unreachable: unreachable, foreign: foreign)
    }
}
