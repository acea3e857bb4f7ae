import Foundation

/// `audit verify`: the hash chain, then the chain against the witnesses the
/// targets carry. A chain alone cannot show that records were cut off its end,
/// or that someone rewrote it from the start; the alias or revision that the
/// last promote completed still names the record it cited and its hash.
public struct WitnessedVerification: Sendable {
    public let config: ShipctlConfig
    private let dependencies: Dependencies

    public init(config: ShipctlConfig, dependencies: Dependencies) {
        self.config = config
        self.dependencies = dependencies
    }

    public struct Outcome: Sendable {
        public var chain: AuditVerification
        /// Targets whose witness matched, e.g. "lambda micro-app-api:live (seq 42)".
        public var witnessed: [String]
    }

    public func run() async throws(ShipctlError) -> Outcome {
        let witnesses = await gatherWitnesses()
        let wanted = Set(witnesses.compactMap(\.witness.seq))
        var hashes: [Int64: String] = [:]
        // A deployment ends once: a second finish means two runners moved its traffic (a lock lost under one of them).
        var finishes: [String: String] = [:]
        var finishedTwice: [String] = []
        let chain = try await dependencies.store.scan { line in
            if let seq = line.seq, wanted.contains(seq), let hash = ChainVerifier.storedHash(line.bytes) {
                hashes[seq] = String(decoding: hash, as: UTF8.self)
            }
            if line.action == AuditAction.deploymentFinish, let deployment = line.field("deployment") {
                let finish = "seq \(line.seq.map(String.init) ?? "?"): \(line.field("outcome") ?? "?")"
                if let first = finishes[deployment] {
                    finishedTwice.append("deployment \(deployment) finished twice (\(first), then \(finish))")
                } else {
                    finishes[deployment] = finish
                }
            }
        }
        if let bad = chain.firstBad {
            let seq = bad.seq.map { "seq \($0), " } ?? ""
            throw .runtime(
                "audit record \(seq)line \(bad.line) does not verify: \(bad.reason)",
                hint: "\(Counted.verifyingBefore(chain.recordCount)); restore the log from a trusted copy")
        }
        if let twice = finishedTwice.first {
            throw .runtime(
                "\(twice): two runners moved its traffic at once"
                    + (finishedTwice.count > 1 ? " (and \(finishedTwice.count - 1) more such)" : ""),
                hint:
                    "the chain itself verifies; see the deployment with `shipctl audit show --deployment ID` and where its traffic is with `shipctl status`"
            )
        }
        var witnessed: [String] = []
        for (target, witness) in witnesses {
            guard let seq = witness.seq, let head = witness.head else { continue }
            let cited =
                "\(target) was completed by deployment \(witness.deployment ?? "?"), which cites record seq \(seq)"
            guard let hash = hashes[seq] else {
                throw .runtime(
                    "the audit log in \(dependencies.store.location) ends at seq \(chain.lastSeq), but \(cited): records were cut off the end of the log",
                    hint:
                        "restore the log from a trusted copy; if this target is promoted with another state store (state.url), verify that one"
                )
            }
            guard hash.hasPrefix(head) else {
                throw .runtime(
                    "audit record seq \(seq) has hash \(hash.prefix(Witness.headLength)), but \(cited) with hash \(head): the chain was rewritten",
                    hint:
                        "restore the log from a trusted copy; if this target is promoted with another state store (state.url), verify that one"
                )
            }
            witnessed.append("\(target) (seq \(seq))")
        }
        return Outcome(chain: chain, witnessed: witnessed)
    }

    /// The witness on every target of the configuration that has one; a target
    /// that cannot be read is reported and left out.
    private func gatherWitnesses() async -> [(target: String, witness: Witness)] {
        var found: [(target: String, witness: Witness)] = []
        var seen = Set<String>()
        for service in config.services {
            for env in config.environments.values.sorted(by: { $0.name < $1.name }) {
                let provider = ServiceParts.provider(
                    for: service, env: env, config: config, dependencies: dependencies)
                guard seen.insert(provider.target + (env.region ?? "")).inserted else { continue }
                do {
                    if let witness = try await provider.readSplit().witness { found.append((provider.target, witness)) }
                } catch {
                    dependencies.reporter.warning(
                        "could not read the witness on \(provider.target) (\(AnswerQuote.quote(error.description, limit: 400))); the log is checked without it"
                    )
                }
            }
        }
        return found
    }
}
