import Foundation

/// The parts shipctl.yaml describes: the platform its `provider:` names, the metric backends of its
/// queries, the flag services of its `on_failure.flags`.
public struct ConfiguredParts: ServicePartBuilder {
    public init() {}

    public func provider(for service: ServiceConfig, in context: EnvironmentContext) -> any TrafficProvider {
        service.target.provider(context)
    }

    public func metricSource(in context: EnvironmentContext) -> any MetricSource {
        ConfiguredMetricSource(context: context)
    }

    public func flagStore(in context: EnvironmentContext) -> any FlagStore {
        ConfiguredFlagStore(context: context)
    }
}
