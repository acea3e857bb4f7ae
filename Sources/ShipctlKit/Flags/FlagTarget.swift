import Foundation

/// One kind of feature-flag store, whole: how its entry in `shipctl.yaml`
/// reads, what it records, and how it reads and writes the flag. A new kind is
/// one type conforming to this and one line in `FlagKinds.all`.
public protocol FlagTarget: Sendable {
    /// The key that names this kind in a flag entry (`ssm`, `unleash`, …).
    static var kind: String { get }
    /// The entry's other keys.
    static var otherKeys: [String] { get }
    /// The entry written out, for messages that teach it.
    static var example: String { get }
    /// The flip an entry describes, or nil after reporting what is wrong with it.
    static func parse(_ entry: ConfigEntry) -> Self?

    /// What `flags set NAME=VALUE` matches: the parameter path, flag or feature.
    var name: String { get }
    /// The value this flip writes, as `flags set` takes it.
    var value: String { get }
    /// The same flag with another value, from `flags set`.
    func setting(_ value: String) throws(ShipctlError) -> Self
    func filled(_ placeholders: Placeholders) -> Self
    /// What the audit log keeps of the flip besides the store, name and value; never a token.
    var details: [String: JSONValue] { get }
    /// What an operator does by hand when shipctl could not flip it.
    var manualInstruction: String { get }

    /// The flag's live value, or nil when it is not set.
    func read(_ context: EnvironmentContext) async throws(ShipctlError) -> String?
    func write(_ context: EnvironmentContext) async throws(ShipctlError)
}

extension FlagTarget {
    public static var otherKeys: [String] { [] }
    public var details: [String: JSONValue] { [:] }
}
