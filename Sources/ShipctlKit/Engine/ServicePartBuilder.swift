import Foundation

/// Builds what a service uses in one environment — its traffic provider, its metric source and its
/// flag store — from that environment's `EnvironmentContext`. `ConfiguredParts` builds the kinds
/// shipctl.yaml names; an in-process test hands in its own through `Dependencies.parts`.
public protocol ServicePartBuilder: Sendable {
    func provider(for service: ServiceConfig, in context: EnvironmentContext) -> any TrafficProvider
    func metricSource(in context: EnvironmentContext) -> any MetricSource
    func flagStore(in context: EnvironmentContext) -> any FlagStore
}
