import Foundation

/// `--dry-run` as one mode: the parts `base` builds, each behind a wrapper that reads for real and prints
/// every change instead of making it. Beside the process runner's own wrapper (`DryRunProcessRunner`, for
/// terraform and smoke programs), this is all a dry run is: no provider, metric source or flag store knows
/// of it. Metrics are only read, so the metric source is the real one.
public struct DryRunParts: ServicePartBuilder {
    let base: any ServicePartBuilder
    let print: @Sendable (String) -> Void

    public init(wrapping base: any ServicePartBuilder, print: @escaping @Sendable (String) -> Void) {
        self.base = base
        self.print = print
    }

    public func provider(for service: ServiceConfig, in context: EnvironmentContext) -> any TrafficProvider {
        DryRunProvider(base: base.provider(for: service, in: context), print: print)
    }

    public func metricSource(in context: EnvironmentContext) -> any MetricSource {
        base.metricSource(in: context)
    }

    public func flagStore(in context: EnvironmentContext) -> any FlagStore {
        DryRunFlagStore(base: base.flagStore(in: context), print: print)
    }
}
