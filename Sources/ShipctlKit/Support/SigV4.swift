import Crypto
import Foundation

/// AWS Signature Version 4 for one request: the headers that authenticate a
/// POST of `body` to `url` for `service` in `region` at `date`.
public struct SigV4: Sendable {
    public let credentials: AWSCredentials
    public let region: String
    public let service: String

    public init(credentials: AWSCredentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// `headers` plus `X-Amz-Date`, `X-Amz-Security-Token` (with a session token) and `Authorization`.
    public func sign(method: String, url: URL, headers: [String: String], body: Data, date: Date) -> [String: String] {
        let (amzDate, day) = Self.stamps(date)
        var signed = headers
        signed["X-Amz-Date"] = amzDate
        if let token = credentials.sessionToken { signed["X-Amz-Security-Token"] = token }
        var hostHeader = url.host ?? ""
        if let port = url.port { hostHeader += ":\(port)" }
        var canonical = Dictionary(signed.map { ($0.key.lowercased(), $0.value.trimmingCharacters(in: .whitespaces)) })
        { $1 }
        canonical["host"] = hostHeader
        let names = canonical.keys.sorted()
        let path = url.path.isEmpty ? "/" : url.path
        let request = [
            method, path, url.query ?? "", names.map { "\($0):\(canonical[$0] ?? "")\n" }.joined(),
            names.joined(separator: ";"),
            Self.hex(SHA256.hash(data: body)),
        ].joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let toSign = ["AWS4-HMAC-SHA256", amzDate, scope, Self.hex(SHA256.hash(data: Data(request.utf8)))].joined(
            separator: "\n")
        var key = SymmetricKey(data: Data("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        let signature = Self.hex(HMAC<SHA256>.authenticationCode(for: Data(toSign.utf8), using: key))
        signed["Authorization"] =
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(names.joined(separator: ";")), Signature=\(signature)"
        return signed
    }

    /// `20150830T123600Z` and `20150830`, in UTC.
    static func stamps(_ date: Date) -> (String, String) {
        let text = Timestamp.format(date)  // 2015-08-30T12:36:00.000Z
        let digits = text.filter { $0.isNumber }
        let day = String(digits.prefix(8))
        let time = String(digits.dropFirst(8).prefix(6))
        return ("\(day)T\(time)Z", day)
    }

    static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}
