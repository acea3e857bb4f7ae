import Foundation

/// The seam between the engine and a feature-flag backend. One implementation
/// per store; `FlagStores` picks the one that handles a given flip.
public protocol FlagStore: Sendable {
    func handles(_ flip: FlagFlip) -> Bool
    /// The flag's current value, or nil when it is not set.
    func read(_ flip: FlagFlip) async throws(ShipctlError) -> String?
    /// Writes the flip's value.
    func set(_ flip: FlagFlip) async throws(ShipctlError)
}

/// All configured flag stores; flips are routed to the one that handles them.
public struct FlagStores: Sendable {
    private let stores: [any FlagStore]

    public init(_ stores: [any FlagStore]) {
        self.stores = stores
    }

    public func store(for flip: FlagFlip) throws(ShipctlError) -> any FlagStore {
        guard let store = stores.first(where: { $0.handles(flip) }) else {
            throw .runtime("no flag store handles \(flip.displayName)")
        }
        return store
    }
}

extension FlagFlip {
    /// The flip with `{{env}}`, `{{service}}` and friends filled in.
    public func filled(_ placeholders: Placeholders) -> FlagFlip {
        switch self {
        case let .ssm(parameter, value): return .ssm(parameter: placeholders.fill(parameter), value: placeholders.fill(value))
        case let .file(path, flag, variant): return .file(path: placeholders.fill(path), flag: placeholders.fill(flag), variant: placeholders.fill(variant))
        }
    }

    public var auditArgs: [String: JSONValue] {
        switch self {
        case let .ssm(parameter, value): return ["store": "ssm", "flag": .string(parameter), "value": .string(value)]
        case let .file(path, flag, variant): return ["store": "file", "path": .string(path), "flag": .string(flag), "value": .string(variant)]
        }
    }

    /// What an operator does by hand when shipctl could not flip it.
    public var manualInstruction: String {
        switch self {
        case let .ssm(parameter, value):
            return "`" + ShellQuoting.display(["aws", "ssm", "put-parameter", "--name", parameter, "--value", value, "--type", "String", "--overwrite"]) + "`"
        case let .file(path, flag, variant):
            return "set `defaultVariant` of flag `\(flag)` to `\(variant)` in \(path)"
        }
    }
}
