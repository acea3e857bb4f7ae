import Foundation
import ShipctlKit

/// The parts an in-process test gives the engine: traffic providers by service name, a metric
/// source, a flag store; whatever it leaves out is built from the configuration as usual.
public struct ScriptedParts: ServicePartBuilder {
    public var providers: [String: any TrafficProvider]
    public var metricSource: (any MetricSource)?
    public var flagStore: (any FlagStore)?

    public init(
        providers: [String: any TrafficProvider] = [:], metricSource: (any MetricSource)? = nil,
        flagStore: (any FlagStore)? = nil
    ) {
        self.providers = providers
        self.metricSource = metricSource
        self.flagStore = flagStore
    }

    public func provider(for service: ServiceConfig, in context: EnvironmentContext) -> any TrafficProvider {
        providers[service.name] ?? ConfiguredParts().provider(for: service, in: context)
    }

    public func metricSource(in context: EnvironmentContext) -> any MetricSource {
        metricSource ?? ConfiguredParts().metricSource(in: context)
    }

    public func flagStore(in context: EnvironmentContext) -> any FlagStore {
        flagStore ?? ConfiguredParts().flagStore(in: context)
    }
}
