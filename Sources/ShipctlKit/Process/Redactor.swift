import Foundation

/// Hides secret values wherever shipctl writes text: terminal, JSON events,
/// the audit log and error messages.
public struct Redactor: Sendable {
    public static let mask = "***"
    private let secrets: [String]

    public init(secrets: [String]) {
        // Longest first, so a secret that contains another is hidden whole.
        self.secrets = Array(Set(secrets.filter { $0.count >= 4 })).sorted { $0.count > $1.count }
    }

    /// Secrets from the configuration plus any environment variable whose name looks secret.
    public static func from(config: ShipctlConfig?, environment: [String: String]) -> Redactor {
        let fromEnvironment = environment.filter { EnvironmentInterpolator.isSecretName($0.key) && !Self.harmless.contains($0.key) }.map(\.value)
        return Redactor(secrets: (config?.secrets ?? []) + fromEnvironment)
    }

    /// Names that contain KEY but hold identifiers, not secrets.
    private static let harmless: Set<String> = ["AWS_ACCESS_KEY_ID"]

    public func redact(_ text: String) -> String {
        guard !secrets.isEmpty else { return text }
        var result = text
        for secret in secrets where result.contains(secret) {
            result = result.replacingOccurrences(of: secret, with: Self.mask)
        }
        return result
    }
}
