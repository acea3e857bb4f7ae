import Foundation

/// The state stores a binary can open. A configuration without `state.url`
/// gets the local store; a URL is opened by the backend registered for its
/// scheme. The executable registers the backends it links, so this library
/// never depends on a database driver.
public struct StateBackends: Sendable {
    public typealias Opener = @Sendable (DatabaseURL, Actor, [String: String]) -> any StateStore

    private let openers: [String: Opener]

    public init(_ openers: [String: Opener]) {
        self.openers = openers
    }

    /// Only the local store.
    public static let localOnly = StateBackends([:])

    public func open(_ config: ShipctlConfig, actor: Actor, environment: [String: String]) throws(ShipctlError)
        -> any StateStore
    {
        guard let url = config.stateURL else { return LocalStateStore(directory: config.stateDirectory, actor: actor) }
        guard let opener = openers[url.scheme] else {
            throw .usage(
                "this shipctl cannot open `\(url.scheme)://` state (in \(config.path), state.url)",
                hint: "remove `state.url` to keep state in `state.dir`")
        }
        return opener(url, actor, environment)
    }
}
