import Foundation

/// A loaded and validated `shipctl.yaml`. Values are already
/// interpolated from the environment; `{{placeholders}}` stay in place and are
/// filled in per deployment by `Placeholders`.
public struct ShipctlConfig: Sendable {
    public var path: String
    public var stateDir: String
    /// The shared state backend; nil keeps state in `stateDir` on this machine.
    public var stateURL: DatabaseURL?
    public var environments: [String: EnvironmentConfig]
    public var services: [ServiceConfig]
    /// Values that came from secret-looking variables; the redactor hides them.
    public var secrets: [String]
    public var timeouts = Timeouts()
    /// The top-level `notify:` targets: every service's endings go there.
    public var notify: [NotifyTarget] = []
    /// What loaded but deserves a word (older keys with a newer replacement); every command says them once.
    public var warnings: [ConfigIssue] = []

    public func service(named name: String) -> ServiceConfig? {
        services.first { $0.name == name }
    }

    /// Where `service`'s endings are sent: the top-level targets, then its own (each URL once).
    public func notifyTargets(for service: String) -> [NotifyTarget] {
        var seen: Set<URL> = []
        return (notify + (self.service(named: service)?.notify ?? [])).filter { seen.insert($0.url).inserted }
    }

    /// The state directory, relative to the config file's folder.
    public var stateDirectory: URL {
        let base = URL(fileURLWithPath: path).deletingLastPathComponent()
        return stateDir.hasPrefix("/") ? URL(fileURLWithPath: stateDir) : base.appendingPathComponent(stateDir)
    }

    /// Resolves a path written in the config relative to the config file's folder.
    public func resolvePath(_ written: String) -> String {
        if written.hasPrefix("/") { return written }
        return URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(written).standardized.path
    }
}
