import Foundation

/// AWS credentials and endpoint as the environment gives them (what CI's OIDC
/// step exports, and what the aws CLI reads first). Only these are used for
/// direct API calls; any other credential source (profiles, SSO, instance
/// roles) leaves shipctl on the aws CLI, which knows them all.
public struct AWSCredentials: Sendable, Equatable {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    public static func from(environment: [String: String]) -> AWSCredentials? {
        guard environment["AWS_PROFILE"] == nil,
            let key = environment["AWS_ACCESS_KEY_ID"], !key.isEmpty,
            let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty
        else { return nil }
        let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        return AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: token)
    }

    /// The endpoint for `service` in `region`: the one the aws CLI would use
    /// (`AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`), else AWS's own.
    public static func endpoint(service: String, region: String, environment: [String: String]) -> URL? {
        let specific = environment["AWS_ENDPOINT_URL_\(service.uppercased())"] ?? environment["AWS_ENDPOINT_URL"]
        return URL(string: specific.flatMap { $0.isEmpty ? nil : $0 } ?? "https://\(service).\(region).amazonaws.com")
    }
}
