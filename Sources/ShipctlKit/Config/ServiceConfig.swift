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
    /// Whether a step waits for the judge's evidence: then its judge reads stable's history and `plan` forecasts it.
    public var waitsForEvidence: Bool { steps.contains { $0.evidence != nil } }
}
