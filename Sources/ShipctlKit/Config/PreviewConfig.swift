import Foundation

/// `preview:` — a short-lived copy of the service per pull request.
public struct PreviewConfig: Sendable {
    public struct Secret: Sendable {
        /// The Secrets Manager name, usually with `{{pr}}` in it.
        public var name: String
        /// How many model tokens the preview may spend, written as a tag for the app to enforce.
        public var tokenBudget: Int
    }

    /// Terraform applied in workspace `pr-N`; its vars should use `{{pr}}` so names do not collide.
    public var terraform: TerraformConfig
    public var ttl: Duration
    public var secrets: [Secret]
    /// A pull request with this label gets no preview.
    public var optOutLabel: String
}
