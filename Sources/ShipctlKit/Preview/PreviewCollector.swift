import Foundation

/// `shipctl preview gc`: tears down every preview past its expiry (or older than `maxAge`), each on its
/// own — one failure is reported and the rest go on. Previews are found in the log and in the cloud
/// (`PreviewInventory`), so a runner whose log never saw them still collects them.
public struct PreviewCollector: Sendable {
    public let config: ShipctlConfig
    public let env: EnvironmentConfig
    public let dependencies: Dependencies

    public init(config: ShipctlConfig, env: EnvironmentConfig, dependencies: Dependencies) {
        self.config = config
        self.env = env
        self.dependencies = dependencies
    }

    public func collect(maxAge: Duration?, services: [ServiceConfig], now: Date = Date()) async throws(ShipctlError) {
        let inventory = try await PreviewInventory.gather(
            config: config, env: env, services: services, dependencies: dependencies)
        let reporter = dependencies.reporter
        for place in inventory.unreachable { reporter.warning("could not look for previews in \(place)") }
        for secret in inventory.foreign {
            reporter.warning("left alone: the secret \(secret); it says nothing of a preview's expiry")
        }
        let previews = inventory.previews
        let due = previews.filter { preview in
            preview.isExpired(at: now)
                || maxAge.map { limit in (preview.age(at: now) ?? 0) > limit.timeInterval }
                    ?? false
        }
        for preview in previews where preview.expiresAt == nil && preview.created == nil {
            reporter.event(
                "gc-skipped",
                "left preview pr-\(preview.pr) of \(preview.service) alone: found only as \(Self.places(preview)), "
                    + "nothing tells when it expires; `shipctl preview down --pr \(preview.pr) --service \(preview.service)` "
                    + "removes it",
                ["service": .string(preview.service), "pr": .int(Int64(preview.pr))])
        }
        var failed: [String] = []
        if due.isEmpty {
            reporter.event(
                "noop",
                "no preview is past its expiry\(maxAge.map { " or older than \(DurationParser.format($0))" } ?? "") (\(previews.count) found)"
            )
        }
        for preview in due {
            let name = "pr-\(preview.pr) of \(preview.service)"
            do throws(ShipctlError) {
                guard let service = config.service(named: preview.service) else {
                    throw ShipctlError.runtime("service \(preview.service) is no longer in \(config.path)")
                }
                let created = preview.created.map { ", created \(Timestamp.format($0))" } ?? ""
                let expired = preview.expiresAt.map { ", expired \(Timestamp.format($0))" } ?? ""
                reporter.event(
                    "gc", "tearing down preview \(name)\(created)\(expired), found in \(Self.places(preview))")
                try await PreviewEngine(config: config, service: service, env: env, dependencies: dependencies).down(
                    pr: preview.pr)
            } catch {
                reporter.failure("could not tear down preview \(name): \(error.description)")
                failed.append(name)
            }
        }
        if !failed.isEmpty {
            throw .runtime(
                "\(failed.count) of \(due.count) preview teardowns failed: \(failed.joined(separator: ", "))",
                hint: "run `shipctl preview down --pr N --service S` for each once the cause is fixed")
        }
        // A nightly collection that could not look in the cloud must not pass for one that found nothing.
        if !inventory.unreachable.isEmpty {
            throw .runtime(
                "could not look for previews in \(inventory.unreachable.joined(separator: "; "))",
                hint: "check the credentials and the region, then run `shipctl preview gc` again")
        }
    }

    static func places(_ preview: PreviewState) -> String {
        preview.foundIn.map(\.words).joined(separator: ", ")
    }
}
