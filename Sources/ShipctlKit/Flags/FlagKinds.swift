import Foundation

/// Every kind of flag store shipctl knows; the configuration loader and
/// `flags set` learn them from here.
public enum FlagKinds {
    public static let all: [any FlagTarget.Type] = [
        SSMFlag.self,
        FileFlag.self,
        UnleashFlag.self,
        LaunchDarklyFlag.self,
    ]

    static func named(_ kind: String) -> (any FlagTarget.Type)? {
        all.first { $0.kind == kind }
    }
}
