import Foundation

#if canImport(Glibc)
    import Glibc
#endif

final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var stdout = Data()
    private var stderr = Data()

    func set(_ data: Data, isError: Bool) {
        lock.withLock { if isError { stderr = data } else { stdout = data } }
    }

    var value: (stdout: Data, stderr: Data) { lock.withLock { (stdout, stderr) } }
}
