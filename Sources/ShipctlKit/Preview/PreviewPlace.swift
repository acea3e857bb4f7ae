import Foundation

/// Where a preview was found: a fresh CI runner's log may know none of them, the cloud still does.
public enum PreviewPlace: String, Sendable, CaseIterable {
    /// `preview up` recorded it and no `preview down` closed it.
    case log
    /// A Secrets Manager secret `preview up` tagged with its pull request and expiry.
    case secrets
    /// A terraform workspace `pr-N` in the preview's folder.
    case terraform

    /// As people read it.
    public var words: String {
        switch self {
        case .log: return "audit log"
        case .secrets: return "Secrets Manager"
        case .terraform: return "terraform workspace"
        }
    }
}
