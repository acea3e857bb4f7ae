import Foundation

/// Path segments of an API address built from configured names: a name with
/// `/`, `?` or `#` in it stays one segment and cannot reach another resource.
enum URLPath {
    static let segmentCharacters = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func segment(_ name: String) -> String {
        name.addingPercentEncoding(withAllowedCharacters: segmentCharacters) ?? name
    }
}
