import Foundation
import Yams

/// A Google Cloud Run service: `cloudrun: { service: NAME, region: R, project: P }`.
public struct CloudRunTarget: ProviderTarget {
    public static let kind = "cloudrun"
    public static let example = "cloudrun: { service: NAME, region: us-central1, project: PROJECT }"
    public static let newVersionSource = "the latest ready revision"

    public var service: String
    public var region: String
    /// nil: gcloud's configured project (`CLOUDSDK_CORE_PROJECT`).
    public var project: String?

    public init(service: String, region: String, project: String?) {
        self.service = service
        self.region = region
        self.project = project
    }

    public static func parse(_ entry: ConfigEntry) -> CloudRunTarget? {
        guard
            let settings = entry.settings(allowed: ["service", "region", "project"], required: ["service", "region"])
        else { return nil }
        let service = name("service", in: settings, of: entry)
        let region = name("region", in: settings, of: entry)
        var project: String?
        if entry.has("project", in: settings) {
            guard let given = name("project", in: settings, of: entry) else { return nil }
            project = given
        }
        guard let service, let region else { return nil }
        return CloudRunTarget(service: service, region: region, project: project)
    }

    /// Cloud Run service, region and project names: lowercase letters, digits and hyphens, starting with a letter.
    private static func name(_ field: String, in settings: [String: Yams.Node], of entry: ConfigEntry) -> String? {
        guard let value = entry.name(field, in: settings) else { return nil }
        guard value.count <= 63, value.first?.isLetter == true,
            value.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "-" })
        else {
            entry.report(
                field: field, in: settings,
                "`\(value)` is not a Cloud Run \(field) name: lowercase letters, digits and hyphens, starting with a letter"
            )
            return nil
        }
        return value
    }

    public var placeholders: [String: String] { ["function": service] }

    /// `cloudrun/PROJECT/REGION/SERVICE`, the project as gcloud would take it when the block names none.
    public func identity(_ context: EnvironmentContext) -> String {
        "cloudrun/\(project ?? context.environment["CLOUDSDK_CORE_PROJECT"] ?? "")/\(region)/\(service)"
    }

    public func provider(_ context: EnvironmentContext) -> any TrafficProvider {
        CloudRunProvider(
            target: self, callTimeout: context.callTimeout, runner: context.runner, http: context.http,
            redactor: context.redactor)
    }

    /// A Cloud Run service resource of this name whose `traffic` blocks the plan changes.
    public func trafficTakeover(_ change: TerraformResourceChange) -> TrafficTakeover? {
        guard ["google_cloud_run_service", "google_cloud_run_v2_service"].contains(change.type),
            change.afterText("name") ?? service == service, change.changes("traffic")
        else { return nil }
        return TrafficTakeover(address: change.address, changed: ["traffic"], trafficAttributes: ["traffic"])
    }
}
