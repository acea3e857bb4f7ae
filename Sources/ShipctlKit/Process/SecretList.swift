import Foundation

final class SecretList: @unchecked Sendable {
    private let lock = NSLock()
    private var sorted: [String] = []

    init(_ secrets: [String]) {
        secrets.forEach(add)
    }

    func add(_ secret: String) {
        // Very short values would mask ordinary words; longest first, so a secret that contains another is hidden whole.
        guard secret.count >= 4 else { return }
        lock.withLock {
            guard !sorted.contains(secret) else { return }
            sorted.append(secret)
            sorted.sort { $0.count > $1.count }
        }
    }

    var values: [String] { lock.withLock { sorted } }
}
