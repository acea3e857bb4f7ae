import Foundation

/// A metric's query for one backend: as configured (placeholders still in it)
/// or filled in, ready to read.
public struct MetricQuery: Sendable {
    public let backend: any BackendQuery

    public init(_ backend: any BackendQuery) {
        self.backend = backend
    }

    public var kind: String { type(of: backend).kind }
    public var display: String { backend.display }

    public func filled(_ placeholders: Placeholders) -> MetricQuery {
        MetricQuery(backend.filled(placeholders))
    }
}
