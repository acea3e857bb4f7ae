import Foundation

/// What a history and a lock belong to: a service in an environment, on one
/// target. Two repositories that share a team database may both call their
/// service `api` in `prod`; the target (provider, account or project, region,
/// function or service, alias) keeps the one's records from deciding for the other.
public struct StateScope: Sendable, Hashable, CustomStringConvertible {
    public var service: String
    public var env: String
    /// `lambda/ACCOUNT/REGION/FUNCTION/ALIAS` or `cloudrun/PROJECT/REGION/SERVICE` (`ProviderTarget.identity`);
    /// empty when unknown, which reads every target's records.
    public var target: String

    public init(service: String, env: String, target: String) {
        self.service = service
        self.env = env
        self.target = target
    }

    /// The audit argument that names the target on the records a history is decided by.
    public static let targetArgument = "target_id"

    /// Whether a record naming `recordTarget` belongs to `target`. Records written before
    /// targets were recorded name none and are read as every target's, as they always were.
    public static func target(_ target: String, owns recordTarget: String?) -> Bool {
        guard let recordTarget, !recordTarget.isEmpty, !target.isEmpty else { return true }
        return recordTarget == target
    }

    public var description: String { "\(service)/\(env)" }
}
