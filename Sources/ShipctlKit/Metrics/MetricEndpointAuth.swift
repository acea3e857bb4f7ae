import Foundation

/// How a metrics backend behind a cloud's or a vendor's auth is asked (`prometheus: { url, auth }`):
/// Amazon Managed Service for Prometheus takes SigV4-signed queries, Google Cloud's managed Prometheus
/// a Google access token, Grafana Cloud basic or bearer auth. The secret parts are masked in all output.
public enum MetricEndpointAuth: Sendable, Equatable {
    case basic(user: String, password: String)
    case bearer(String)
    /// A command that prints a token (`gcloud auth print-access-token`), run again before the token gets old.
    case bearerCommand([String])
    /// Signed with the AWS credentials of the environment, for `service` (`aps`) in `region`
    /// (the environment's own when not given).
    case sigv4(region: String?, service: String)

    /// The keys an `auth:` mapping may hold, one of them.
    static let kinds = ["basic", "bearer", "bearer_command", "sigv4"]
}
