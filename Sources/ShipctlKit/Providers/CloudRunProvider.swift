import Foundation

/// Google Cloud Run through the `gcloud` CLI: a service's traffic is split
/// between revisions in whole percentages. shipctl keeps at most two
/// revisions with traffic and tags the new one `canary`, which gives it its
/// own URL for smoke tests before and during the canary.
public struct CloudRunProvider: TrafficProvider {
    public static let canaryTag = "canary"

    public let service: String
    public let region: String
    public let project: String?
    private let callTimeout: Duration
    private let runner: any ProcessRunning
    private let http: any HTTPClient
    private let redactor: Redactor

    public init(
        target: CloudRunTarget, callTimeout: Duration = .seconds(30), runner: any ProcessRunning, http: any HTTPClient,
        redactor: Redactor
    ) {
        self.service = target.service
        self.region = target.region
        self.project = target.project
        self.callTimeout = callTimeout
        self.runner = runner
        self.http = http
        self.redactor = redactor
    }

    public var target: String { "cloudrun \(service) (\(region))" }

    /// The parts of the Knative `Service` that shipctl reads.
    private struct ServiceDocument: Decodable {
        struct Status: Decodable {
            var traffic: [TrafficTarget]?
            var latestReadyRevisionName: String?
        }
        var status: Status?
    }

    private struct TrafficTarget: Decodable {
        var revisionName: String?
        var percent: Int?
        var tag: String?
        var url: String?
    }

    public func readSplit() async throws(ShipctlError) -> TrafficSplit {
        try split(from: try await describe())
    }

    private func describe() async throws(ShipctlError) -> ServiceDocument {
        let result = try await gcloud(["run", "services", "describe", service], mutating: false)
        return try decode(result.stdout, what: "services describe")
    }

    /// `status.traffic` as a split: the revision tagged `canary` (or else the one
    /// with less traffic) is the canary, the other the stable version.
    private func split(from document: ServiceDocument) throws(ShipctlError) -> TrafficSplit {
        let targets = document.status?.traffic ?? []
        var percents: [(revision: String, percent: Int)] = []
        var total = 0
        for target in targets {
            if let percent = target.percent {
                total += min(max(percent, -1), 101)
                guard (0...100).contains(percent), total <= 100 else {
                    let shown = targets.map { "\($0.revisionName ?? "?")=\($0.percent.map(String.init) ?? "?")" }
                        .joined(separator: ", ")
                    throw .runtime(
                        "\(self.target) reports traffic percentages shipctl cannot act on (each 0–100, together at most 100): \(redactor.quote(shown))",
                        hint: "check it with `gcloud run services describe \(service) --region \(region)`")
                }
            }
            if let revision = target.revisionName, !Self.isRevisionName(revision) {
                throw .runtime(
                    "\(self.target) reports a revision named \(redactor.quote(revision, limit: 80)), which is not a Cloud Run revision name",
                    hint: "check it with `gcloud run services describe \(service) --region \(region)`")
            }
            guard let revision = target.revisionName, let percent = target.percent, percent > 0 else { continue }
            if let index = percents.firstIndex(where: { $0.revision == revision }) {
                percents[index].percent += percent
            } else {
                percents.append((revision, percent))
            }
        }
        switch percents.count {
        case 0:
            throw .runtime(
                "\(target) routes no traffic to any revision",
                hint: "check it with `gcloud run services describe \(service) --region \(region)`")
        case 1:
            return TrafficSplit(stable: percents[0].revision, witness: Self.witness(in: targets))
        case 2:
            let tagged = targets.first { $0.tag == Self.canaryTag && $0.revisionName != nil }?.revisionName
            let canaryIndex =
                percents.firstIndex { $0.revision == tagged } ?? (percents[0].percent < percents[1].percent ? 0 : 1)
            let canary = percents[canaryIndex]
            let stable = percents[1 - canaryIndex]
            return TrafficSplit(stable: stable.revision, canary: canary.revision, canaryPercent: Double(canary.percent))
        default:
            let shown = percents.map { "\($0.percent)% on \($0.revision)" }.joined(separator: ", ")
            throw .runtime(
                "\(target) splits traffic over \(percents.count) revisions (\(shown)); shipctl shifts between two",
                hint: "put it on one revision first: \(manualRouteAllCommand(to: "REVISION"))")
        }
    }

    /// Lowercase letters, digits and hyphens, as Cloud Run names its revisions.
    private static func isRevisionName(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 100
            && text.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
    }

    public func resolveVersion(_ version: String) async throws(ShipctlError) -> String {
        guard Self.isRevisionName(version) else {
            throw .usage(
                "`\(version)` is not a Cloud Run revision name", hint: "revision names look like \(service)-00042-abc")
        }
        struct Revision: Decodable {
            struct Metadata: Decodable {
                var name: String
                var labels: [String: String]?
            }
            var metadata: Metadata
        }
        let lookup = request(["run", "revisions", "describe", version], mutating: false)
        let result = await runner.run(lookup)
        guard result.succeeded else {
            if result.stderr.contains("NOT_FOUND") || result.stderr.contains("not found") {
                throw .runtime(
                    "revision \(version) of \(service) does not exist",
                    hint: "list revisions with `gcloud run revisions list --service \(service) --region \(region)`")
            }
            throw .commandFailed(lookup, result, redactor: redactor)
        }
        let revision: Revision = try decode(result.stdout, what: "revisions describe")
        if let owner = revision.metadata.labels?["serving.knative.dev/service"], owner != service {
            throw .usage("revision \(version) belongs to service \(owner), not \(service)")
        }
        guard Self.isRevisionName(revision.metadata.name) else {
            throw .runtime(
                "`gcloud run revisions describe` named revision \(redactor.quote(revision.metadata.name, limit: 80)), which is not a Cloud Run revision name"
            )
        }
        return revision.metadata.name
    }

    /// Cloud Run makes revisions on deploy (terraform or `gcloud run deploy --no-traffic`);
    /// the newest ready one is what gets promoted.
    public func publishVersion() async throws(ShipctlError) -> String {
        guard let latest = try await describe().status?.latestReadyRevisionName, Self.isRevisionName(latest) else {
            throw .runtime(
                "\(target) has no ready revision",
                hint: "deploy one with `gcloud run deploy \(service) --no-traffic --tag \(Self.canaryTag)`")
        }
        return latest
    }

    public func shift(stable: String, canary: String, percent: Double, revision: String?) async throws(ShipctlError)
        -> TrafficSplit
    {
        try await updateTraffic(Self.shiftArguments(stable: stable, canary: canary, percent: percent), retry: .standard)
    }

    /// Whole percentages only; the two shares always add up to 100.
    static func shiftArguments(stable: String, canary: String, percent: Double) -> [String] {
        let onCanary = min(99, max(1, Checked.rounded(percent, in: 0...100) ?? 1))
        return [
            "--to-revisions", "\(canary)=\(onCanary),\(stable)=\(100 - onCanary)",
            "--update-tags", "\(canaryTag)=\(canary)",
        ]
    }

    /// The witness rides on tags of the revision traffic came from, set in the same
    /// `update-traffic`: `previous`, and `witness-<seq>-<head>` for the record it
    /// cites. `--set-tags` replaces the old witness tags; `canary` stays on the new revision.
    public func routeAll(to version: String, revision: String?, urgent: Bool, witness: Witness?)
        async throws(ShipctlError) -> TrafficSplit
    {
        try await updateTraffic(
            Self.routeAllArguments(to: version, witness: witness), retry: urgent ? .revert : .standard)
    }

    static func routeAllArguments(to version: String, witness: Witness?) -> [String] {
        guard let witness else { return ["--to-revisions", "\(version)=100"] }
        var assignments = ["\(canaryTag)=\(version)", "\(previousTag)=\(witness.previous)"]
        if let seq = witness.seq, let head = witness.head {
            assignments.append("\(witnessTagPrefix)\(seq)-\(head)=\(witness.previous)")
        }
        return ["--to-revisions", "\(version)=100", "--set-tags", assignments.joined(separator: ",")]
    }

    static let previousTag = "previous"
    static let witnessTagPrefix = "witness-"

    /// The witness the tags carry, if the last promote left one.
    private static func witness(in targets: [TrafficTarget]) -> Witness? {
        guard let previous = targets.first(where: { $0.tag == previousTag })?.revisionName else { return nil }
        let cited = targets.compactMap(\.tag).first { $0.hasPrefix(witnessTagPrefix) }?.dropFirst(
            witnessTagPrefix.count
        ).split(separator: "-")
        guard let cited, cited.count == 2, let seq = Int64(cited[0]) else { return Witness(previous: previous) }
        return Witness.parse("shipctl previous=\(previous) seq=\(seq) head=\(cited[1])") ?? Witness(previous: previous)
    }

    public func command(for change: TrafficChange) -> String {
        let arguments: [String]
        switch change {
        // A revision is made by a deploy; promoting takes the newest ready one, which this reads.
        case .publish: arguments = ["describe", service]
        case .shift(let stable, let canary, let percent):
            arguments =
                ["update-traffic", service] + Self.shiftArguments(stable: stable, canary: canary, percent: percent)
        case .routeAll(let version, let witness):
            arguments = ["update-traffic", service] + Self.routeAllArguments(to: version, witness: witness)
        }
        return ShellQuoting.display(["gcloud", "run", "services"] + arguments + placement)
    }

    /// Changes traffic, then reads it back: update-traffic prints its own
    /// listing, not the Service, and the split must come from the API's answer.
    private func updateTraffic(_ arguments: [String], retry: RetryPolicy) async throws(ShipctlError) -> TrafficSplit {
        var call = request(["run", "services", "update-traffic", service] + arguments, mutating: true)
        call.retry = retry
        let result = await runner.run(call)
        guard result.succeeded else { throw .commandFailed(call, result, redactor: redactor) }
        struct Listed: Decodable {
            var revisionName: String?
            var statusPercent: String?
            var tags: [Tag]?
            struct Tag: Decodable {
                var tag: String
                var url: String?
            }
        }
        let listing: [Listed] = try decode(result.stdout, what: "services update-traffic")
        let document = ServiceDocument(
            status: .init(
                traffic: listing.map { entry in
                    TrafficTarget(
                        revisionName: entry.revisionName, percent: entry.statusPercent.flatMap { Int($0) },
                        tag: entry.tags?.first { $0.tag == Self.canaryTag || $0.tag == Self.previousTag }?.tag, url: nil
                    )
                }))
        return try split(from: document)
    }

    /// Calls the revision through its `canary` tag URL, tagging it first (0 % of
    /// traffic) when it has none yet, as for the pre-traffic smoke tests.
    public func invoke(version: String, payload: String, timeout: Duration) async throws(ShipctlError)
        -> InvocationOutcome
    {
        var url = try await describe().status?.traffic?.first {
            $0.revisionName == version && $0.tag == Self.canaryTag
        }?.url
        if url == nil {
            _ = try await gcloud(
                ["run", "services", "update-traffic", service, "--update-tags", "\(Self.canaryTag)=\(version)"],
                mutating: true)
            url = try await describe().status?.traffic?.first {
                $0.revisionName == version && $0.tag == Self.canaryTag
            }?.url
        }
        guard let url, let target = URL(string: url) else {
            return InvocationOutcome(
                succeeded: false, detail: "revision \(version) has no `\(Self.canaryTag)` tag URL to call")
        }
        do {
            let response = try await http.get(target, timeout: timeout)
            return InvocationOutcome(
                succeeded: (200..<300).contains(response.status),
                detail: "status \(response.status) from the \(Self.canaryTag) tag")
        } catch {
            return InvocationOutcome(succeeded: false, detail: redactor.redact(error.description))
        }
    }

    // MARK: gcloud CLI

    private var placement: [String] { ["--region", region] + (project.map { ["--project", $0] } ?? []) }

    private func request(_ arguments: [String], mutating: Bool) -> ProcessRequest {
        ProcessRequest(
            "gcloud", arguments + placement + ["--format", "json", "--quiet"], timeout: callTimeout, mutating: mutating)
    }

    private func gcloud(_ arguments: [String], mutating: Bool) async throws(ShipctlError) -> ProcessResult {
        try await runner.check(request(arguments, mutating: mutating), redactor: redactor)
    }

    private func decode<T: Decodable>(_ text: String, what: String) throws(ShipctlError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch {
            throw .runtime(
                "could not read the answer of `gcloud run \(what)`: \(redactor.quote(text))",
                hint: "check that gcloud works: `gcloud run services describe \(service) --region \(region)`")
        }
    }
}
