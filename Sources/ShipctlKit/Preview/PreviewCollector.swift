import Foundation

/// `shipctl preview gc`: tears down every preview past its expiry (or older
/// than `maxAge`), each on its own — one failure is reported and the rest go on.
public struct PreviewCollector: Sendable {
    public let config: ShipctlConfig
    public let env: EnvironmentConfig
    public let dependencies: Dependencies

    public init(config: ShipctlConfig, env: EnvironmentConfig, dependencies: Dependencies) {
        self.config = config
        self.env = env
        self.dependencies = dependencies
    }

    public func collect(maxAge: Duration?, services: Set<String>, now: Date = Date()) async throws(ShipctlError) {
        let previews = try await PreviewHistory.read(from: dependencies.store).previews.filter {
            services.contains($0.service)
        }
        let due = previews.filter { preview in
            preview.isExpired(at: now) || maxAge.map { preview.age(at: now) > $0.timeInterval } ?? false
        }
        let reporter = dependencies.reporter
        if due.isEmpty {
            reporter.event(
                "noop",
                "no preview is past its expiry\(maxAge.map { " or older than \(DurationParser.format($0))" } ?? "") (\(previews.count) active)"
            )
            return
        }
        var failed: [String] = []
        for preview in due {
            let name = "pr-\(preview.pr) of \(preview.service)"
            do throws(ShipctlError) {
                guard let service = config.service(named: preview.service) else {
                    throw ShipctlError.runtime("service \(preview.service) is no longer in \(config.path)")
                }
                reporter.event(
                    "gc",
                    "tearing down preview \(name), created \(Timestamp.format(preview.created)), expired \(Timestamp.format(preview.expiresAt))"
                )
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
    }
}
