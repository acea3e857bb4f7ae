import Foundation

/// Every kind of compute platform shipctl deploys to; the configuration loader
/// learns them from here.
public enum ProviderKinds {
    public static let all: [any ProviderTarget.Type] = [
        LambdaTarget.self,
        CloudRunTarget.self,
    ]
}
