import Foundation

/// The previews the audit log knows, derived from it like every other state:
/// a `preview.up` opens or refreshes one, a `preview.down` closes it.
public struct PreviewHistory: Sendable {
    public private(set) var previews: [PreviewState] = []

    public init(records: [AuditRecord]) {
        var open: [String: PreviewState] = [:]
        var order: [String] = []
        for record in records where record.phase == .info && record.outcome == "ok" {
            guard let pr = Checked.int(record.args["pr"], in: PreviewEngine.pullRequestNumbers) else { continue }
            let key = "\(record.service)#\(pr)"
            switch record.action {
            case AuditAction.previewUp:
                guard let at = Timestamp.parse(record.ts),
                    let expires = record.args["expires_at"]?.stringValue.flatMap(Timestamp.parse)
                else { continue }
                var state =
                    open[key]
                    ?? PreviewState(
                        service: record.service, pr: pr, created: at, updated: at, expiresAt: expires, outputs: [:],
                        foundIn: [.log])
                state.updated = at
                state.expiresAt = expires
                if case .object(let outputs)? = record.args["outputs"] { state.outputs = outputs }
                if open[key] == nil { order.append(key) }
                open[key] = state
            case AuditAction.previewDown:
                open[key] = nil
                order.removeAll { $0 == key }
            default:
                break
            }
        }
        previews = order.compactMap { open[$0] }
    }

    /// The previews in `store`, parsing only the preview records.
    public static func read(from store: any StateStore) async throws(ShipctlError) -> PreviewHistory {
        PreviewHistory(
            records: try await store.records { line in
                let action = line.action
                return action == AuditAction.previewUp || action == AuditAction.previewDown
            })
    }

    public func preview(service: String, pr: Int) -> PreviewState? {
        previews.first { $0.service == service && $0.pr == pr }
    }
}
