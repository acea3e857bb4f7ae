import Foundation

public struct ServiceConfig: Sendable {
    public var name: String
    /// Where the service runs: its `provider:` kind and that kind's block.
    public var target: any ProviderTarget
    public var terraform: TerraformConfig?
    public var steps: [CanaryStep]
    public var smoke: [SmokeTest]
    public var analysis: AnalysisConfig
    public var onFailure: OnFailure
    public var preview: PreviewConfig? = nil
    /// Where this service's endings are sent besides the top-level `notify:` targets.
    public var notify: [NotifyTarget] = []

    /// The `provider:` kind: `lambda`, `cloudrun`, …
    public var provider: String { type(of: target).kind }
}
