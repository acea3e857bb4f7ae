import Foundation

/// Every kind of metrics backend shipctl knows; the configuration loader and
/// the analysis learn them from here.
public enum MetricBackends {
    public static let all: [any BackendQuery.Type] = [
        PrometheusQuery.self,
        CloudWatchQuery.self,
    ]
}
