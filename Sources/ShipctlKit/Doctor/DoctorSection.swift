import Foundation

/// The checks of one part of a setup: a service in an environment, or the state backend.
public struct DoctorSection: Sendable {
    /// "api/prod — lambda micro-app-api:live", "state — /srv/app/.shipctl".
    public var title: String
    public var checks: [DoctorCheck]

    public init(title: String, checks: [DoctorCheck]) {
        self.title = title
        self.checks = checks
    }

    public var failures: Int { checks.filter { $0.status == .failed }.count }

    var text: String { ([title] + checks.map(\.text)).joined(separator: "\n") }

    var json: JSONValue {
        ["title": .string(title), "checks": .array(checks.map(\.json)), "failures": .int(Int64(failures))]
    }
}
