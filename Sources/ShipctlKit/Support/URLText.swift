import Foundation

/// An address as it may be shown: a password in its userinfo is masked
/// before the URL reaches a message, a record or a log line.
public enum URLText {
    public static func withoutPassword(_ url: URL) -> String {
        guard url.password != nil, var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else {
            return url.absoluteString
        }
        components.password = Redactor.mask
        return components.string ?? url.absoluteString
    }
}
