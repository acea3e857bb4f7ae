import Foundation

public struct SmokeResult: Sendable {
    public var name: String
    public var passed: Bool
    public var detail: String
    public var durationMs: Int64
}
