import Foundation

/// A loaded and validated `shipctl.yaml`. Values are already
/// interpolated from the environment; `{{placeholders}}` stay in place and are
/// filled in per deployment by `Placeholders`.
public struct ShipctlConfig: Sendable {
    public var path: String
    public var stateDir: String
    /// The shared state backend; nil keeps state in `stateDir` on this machine.
    public var stateURL: DatabaseURL?
    public var environments: [String: EnvironmentConfig]
    public var services: [ServiceConfig]
    /// Values that came from secret-looking variables; the redactor hides them.
    public var secrets: [String]
    public var timeouts = Timeouts()

    public func service(named name: String) -> ServiceConfig? {
        services.first { $0.name == name }
    }

    /// The state directory, relative to the config file's folder.
    public var stateDirectory: URL {
        let base = URL(fileURLWithPath: path).deletingLastPathComponent()
        return stateDir.hasPrefix("/") ? URL(fileURLWithPath: stateDir) : base.appendingPathComponent(stateDir)
    }

    /// Resolves a path written in the config relative to the config file's folder.
    public func resolvePath(_ written: String) -> String {
        if written.hasPrefix("/") { return written }
        return URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(written).standardized.path
    }
}

/// How long one external program may run before it is killed (`timeouts:`).
public struct Timeouts: Sendable {
    /// One `aws`/`gcloud` call; a hung CLI must not hold a canary open.
    public var providerCall: Duration = .seconds(30)
    /// `terraform apply`.
    public var terraform: Duration = .seconds(1800)

    public init() {}
}

public struct EnvironmentConfig: Sendable {
    public var name: String
    public var region: String?
    /// The address of each metrics backend that needs one, by its key (`prometheus`).
    public var metricEndpoints: [String: String] = [:]
}

public struct ServiceConfig: Sendable {
    public var name: String
    /// Where the service runs: its `provider:` kind and that kind's block.
    public var target: any ProviderTarget
    public var terraform: TerraformConfig?
    public var steps: [CanaryStep]
    public var smoke: [SmokeTest]
    public var analysis: AnalysisConfig
    public var onFailure: OnFailure
    public var preview: PreviewConfig? = nil

    /// The `provider:` kind: `lambda`, `cloudrun`, …
    public var provider: String { type(of: target).kind }
}

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

public struct TerraformConfig: Sendable {
    public var dir: String
    public var vars: [(name: String, value: String)]
    public var versionOutput: String?
}

/// One canary step: the percentage of traffic on the new version, and how long
/// to watch it before the next step.
public struct CanaryStep: Sendable, Equatable {
    public var weight: Double
    public var pause: Duration

    public init(weight: Double, pause: Duration) {
        self.weight = weight
        self.pause = pause
    }
}

public struct SmokeTest: Sendable {
    public enum Kind: Sendable {
        /// Invoke the new version directly with this payload; a function error fails it.
        case invoke(payload: String)
        /// GET the URL and expect this status.
        case http(url: String, status: Int)
        /// Run the argument vector; exit 0 passes.
        case run([String])
    }

    public var name: String
    public var kind: Kind
    public var timeout: Duration
}

public struct AnalysisConfig: Sendable {
    /// When a metric that just failed is evaluated again to confirm it.
    public enum Confirmation: Sendable, Equatable {
        /// As soon as the metrics backend holds a newer sample (Prometheus has scraped
        /// its targets again), at most one `interval` later.
        case nextSample
        /// After a fixed delay.
        case after(Duration)
    }

    public var interval: Duration
    public var failureLimit: Int
    public var inconclusiveLimit: Int
    public var metrics: [MetricConfig]
    public var confirm: Confirmation = .nextSample
    public var judge: JudgeConfig = .defaults

    public static let defaults = AnalysisConfig(
        interval: .seconds(10), failureLimit: 0, inconclusiveLimit: 3, metrics: [])
}

public struct MetricConfig: Sendable {
    public var name: String
    /// The query as configured, placeholders still in it; for a metric judged by counts, its `failures` query.
    public var source: MetricQuery
    /// The `total` query of a metric judged by counts (`failures` and `total` over `{{window}}`),
    /// read for `{{version}}` = canary and = stable and compared by `RateRatioTest`.
    public var total: MetricQuery?
    /// How much higher than stable's the canary's failure rate may be (0.5: 1.5 times); for
    /// `judge: mann-whitney`, how far its values may move, as a share of stable's median.
    public var maxIncrease: Double?
    /// `judge: mann-whitney`: the canary's and stable's values at every evaluation compared by `MannWhitneyShift`.
    public var mannWhitney = false
    public var direction: MannWhitneyShift.Direction = .increase

    /// Compared with stable by the judge rather than held to a threshold.
    public var isJudged: Bool { total != nil || mannWhitney }
    public var max: Double?
    public var min: Double?
    public var maxRatioToBaseline: Double?
    /// Observed and recorded, but never fails a release.
    public var dryRun: Bool

    public init(
        name: String, source: MetricQuery, max: Double?, min: Double?, maxRatioToBaseline: Double?, dryRun: Bool
    ) {
        self.name = name
        self.source = source
        self.max = max
        self.min = min
        self.maxRatioToBaseline = maxRatioToBaseline
        self.dryRun = dryRun
    }
}

public struct OnFailure: Sendable {
    public var revert: Bool
    public var flags: [FlagFlip]

    public static let defaults = OnFailure(revert: true, flags: [])
}
