import Foundation

/// `state.url`: where the team's shared state lives, e.g.
/// `postgres://deploy@db.internal:5432/shipctl?sslmode=verify-full`. The
/// password may come from the URL (usually `${VAR}`) or from `PGPASSWORD`;
/// `description` never shows it.
public struct DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    public enum TLSMode: String, Sendable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var scheme: String
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var tls: TLSMode

    public static let schemes: Set<String> = ["postgres", "postgresql"]

    /// Parses a URL; the error says what is wrong in words for the configuration message.
    public static func parse(_ text: String) -> Result<DatabaseURL, DatabaseURLError> {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            return .failure(
                DatabaseURLError("expected a URL like postgres://USER@HOST:5432/DATABASE?sslmode=verify-full"))
        }
        guard schemes.contains(scheme) else {
            return .failure(
                DatabaseURLError(
                    "shipctl keeps shared state in PostgreSQL: the URL must start with postgres://, not \(scheme)://"))
        }
        guard let host = components.host, !host.isEmpty else {
            return .failure(DatabaseURLError("the URL names no host"))
        }
        let port = components.port ?? 5432
        guard (1...65535).contains(port) else { return .failure(DatabaseURLError("port \(port) is out of range")) }
        guard let user = components.user, !user.isEmpty else {
            return .failure(DatabaseURLError("the URL names no user: write postgres://USER@\(host)/DATABASE"))
        }
        let database = String(components.path.drop { $0 == "/" })
        var tls = TLSMode.prefer
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                    return .failure(
                        DatabaseURLError(
                            "sslmode must be one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))"))
                }
                tls = mode
            default:
                return .failure(DatabaseURLError("unknown URL parameter `\(item.name)`; shipctl understands sslmode"))
            }
        }
        return .success(
            DatabaseURL(
                scheme: scheme, host: host, port: port, user: user, password: components.password,
                database: database.isEmpty ? user : database, tls: tls))
    }

    /// The URL without its password, for messages.
    public var description: String {
        "postgres://\(user)@\(host):\(port)/\(database)" + (tls == .prefer ? "" : "?sslmode=\(tls.rawValue)")
    }
}
