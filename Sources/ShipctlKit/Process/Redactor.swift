import Foundation

/// Hides secret values wherever shipctl writes text: terminal, JSON events,
/// the audit log and error messages. Copies share one list, so a secret
/// learned mid-run (a terraform sensitive output) is hidden everywhere at once.
public struct Redactor: Sendable {
    public static let mask = "***"
    private let known: SecretList

    public init(secrets: [String]) {
        known = SecretList(secrets)
    }

    /// Every environment variable whose name looks secret; the configuration's own
    /// secrets are taught to it as the file is loaded (`ConfigLoader.load(path:teaching:)`).
    public static func from(environment: [String: String]) -> Redactor {
        Redactor(
            secrets: environment.filter {
                EnvironmentInterpolator.isSecretName($0.key) && !Self.harmless.contains($0.key)
            }.map(\.value))
    }

    /// Names that contain KEY but hold identifiers, not secrets.
    private static let harmless: Set<String> = ["AWS_ACCESS_KEY_ID"]

    /// Hides `secret` from now on, in this redactor and every copy of it.
    public func learn(_ secret: String) {
        known.add(secret)
    }

    /// Every string and key inside `value` redacted; encode afterwards.
    public func redact(_ value: JSONValue) -> JSONValue {
        guard !known.values.isEmpty else { return value }
        switch value {
        case .string(let text): return .string(redact(text))
        case .array(let items): return .array(items.map(redact))
        case .object(let fields):
            return .object(Dictionary(fields.map { (redact($0.key), redact($0.value)) }) { first, _ in first })
        default: return value
        }
    }

    public func redact(_ text: String) -> String {
        let secrets = known.values
        guard !secrets.isEmpty else { return text }
        var result = text
        for secret in secrets where result.contains(secret) {
            result = result.replacingOccurrences(of: secret, with: Self.mask)
        }
        return result
    }

    /// An answer from outside (a CLI's output, an HTTP body), redacted and then quoted for an error
    /// message (`AnswerQuote`): in this order, because a cut could otherwise split a secret and leave
    /// half of it unrecognised.
    public func quote(_ text: String, limit: Int = 300) -> String {
        AnswerQuote.quote(redact(text), limit: limit)
    }
}
