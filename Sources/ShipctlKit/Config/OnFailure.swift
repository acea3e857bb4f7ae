import Foundation

public struct OnFailure: Sendable {
    public var revert: Bool
    public var flags: [FlagFlip]

    public static let defaults = OnFailure(revert: true, flags: [])
}
