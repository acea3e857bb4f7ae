import Foundation

/// A value one task settles once and another reads whenever it looks: what a rollback's traffic call ended
/// with, known before the notifications and the trace export that follow it are done.
final class SettledValue<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var settled: Value?

    /// Keeps the first value given.
    func settle(_ value: Value) { lock.withLock { if settled == nil { settled = value } } }
    var value: Value? { lock.withLock { settled } }
}
