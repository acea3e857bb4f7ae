import Foundation

/// How long one external program may run before it is killed (`timeouts:`).
public struct Timeouts: Sendable {
    /// One `aws`/`gcloud` call; a hung CLI must not hold a canary open.
    public var providerCall: Duration = .seconds(30)
    /// `terraform apply`.
    public var terraform: Duration = .seconds(1800)
    /// A whole `rollback`: after this it stops and says what it tried, rather than going silent.
    public var rollback: Duration = .seconds(60)

    public init() {}
}
