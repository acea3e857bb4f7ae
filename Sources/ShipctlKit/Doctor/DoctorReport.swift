import Foundation

/// `shipctl doctor`: read-only checks that everything a promote needs is in place, for each
/// service in each environment, and for the state backend they share. Changes nothing in the
/// cloud, takes no lock and writes no audit record.
public struct DoctorReport: Sendable {
    public var sections: [DoctorSection]

    public var failures: Int { sections.map(\.failures).reduce(0, +) }

    public static func gather(
        config: ShipctlConfig, services: [ServiceConfig], envs: [EnvironmentConfig], dependencies: Dependencies
    ) async -> DoctorReport {
        var sections: [DoctorSection] = []
        var scopes: [StateScope] = []
        for service in services {
            for env in envs {
                sections.append(await target(service, env, config: config, dependencies: dependencies))
                scopes.append(ServiceParts.scope(for: service, env: env, config: config, dependencies: dependencies))
            }
        }
        var stateSection = await state(dependencies.store, scopes: scopes)
        stateSection.checks += await spool(config: config, dependencies: dependencies)
        sections.append(stateSection)
        return DoctorReport(sections: sections)
    }

    /// The checkout's `.shipctl/`: kept out of git (a spool anyone can push to is a way into the log), and
    /// how many kept records wait in it.
    static func spool(config: ShipctlConfig, dependencies: Dependencies) async -> [DoctorCheck] {
        let folder = URL(fileURLWithPath: config.path).deletingLastPathComponent().path
        var checks: [DoctorCheck] = []
        let tracked = await dependencies.runner.run(
            ProcessRequest(
                "git", ["ls-files", "--", ".shipctl"], workingDirectory: folder, timeout: .seconds(10),
                retry: .never, mutating: false))
        if tracked.succeeded, !tracked.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            checks.append(
                .failed(
                    "spool", ".shipctl/ is tracked by git: whoever can push can plant lines in the spool",
                    fix: "git rm -r --cached .shipctl && echo .shipctl/ >> .gitignore"))
        }
        if let spool = dependencies.spool {
            let waiting = spool.pendingCount(for: dependencies.store.location)
            if waiting > 0 {
                checks.append(
                    .ok(
                        "spool",
                        "\(waiting) kept record(s) wait in \(spool.path) for the next command that takes a lock"))
            }
        }
        return checks
    }

    /// One service in one environment: the platform's own checks, then each gate, terraform and each flag.
    static func target(
        _ service: ServiceConfig, _ env: EnvironmentConfig, config: ShipctlConfig, dependencies: Dependencies
    ) async -> DoctorSection {
        let context = ServiceParts.context(config: config, env: env, dependencies: dependencies)
        let provider = dependencies.parts.provider(for: service, in: context)
        let split: Result<TrafficSplit, ShipctlError>
        do { split = .success(try await provider.readSplit()) } catch { split = .failure(error) }
        var checks = await service.target.preflight(provider, split: split, context)
        let stable = try? split.get().stable
        let source = dependencies.parts.metricSource(in: context)
        if service.analysis.metrics.isEmpty {
            checks.append(.ok("gates", "none configured: each step only waits its pause"))
        }
        for metric in service.analysis.metrics {
            checks.append(await GateProbe.check(metric, service: service, env: env, stable: stable, source: source))
        }
        if let block = service.terraform {
            checks.append(await terraform(block, service: service, env: env, config: config, context: context))
        }
        let placeholders = Placeholders.deployment(
            service: service, env: env, canary: stable ?? "{{canary}}", stable: stable ?? "{{stable}}")
        let store = dependencies.parts.flagStore(in: context)
        for flip in service.onFailure.flags.map({ $0.filled(placeholders) }) {
            let subject = "flag \(flip.kind) \(flip.name)"
            do {
                let value = try await store.read(flip)
                checks.append(
                    .ok(
                        subject,
                        value.map { "readable, now \(context.redactor.quote($0, limit: 60))" }
                            ?? "readable, not set yet"))
            } catch {
                checks.append(.failed(subject, error))
            }
        }
        return DoctorSection(title: "\(service.name)/\(env.name) — \(provider.target)", checks: checks)
    }

    /// terraform on the PATH, and a directory with configuration in it.
    static func terraform(
        _ block: TerraformConfig, service: ServiceConfig, env: EnvironmentConfig, config: ShipctlConfig,
        context: EnvironmentContext
    ) async -> DoctorCheck {
        let directory = config.resolvePath(Placeholders(["service": service.name, "env": env.name]).fill(block.dir))
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        guard files.contains(where: { $0.hasSuffix(".tf") || $0.hasSuffix(".tf.json") }) else {
            return .failed(
                "terraform", "\(directory) holds no .tf files",
                fix: "point `terraform.dir` at the folder with the service's terraform configuration")
        }
        let request = ProcessRequest(
            "terraform", ["version", "-json"], timeout: context.callTimeout, retry: .never, mutating: false)
        switch await DoctorCheck.command(
            "terraform", request, context: context,
            fix: "install terraform (https://developer.hashicorp.com/terraform/install)")
        {
        case .failed(let check): return check
        case .output(let answer):
            let version = JSONValue.parse(answer)?["terraform_version"]?.stringValue ?? "?"
            return .ok("terraform", "\(version), configuration in \(directory)")
        }
    }

    /// The audit log verifies, the store's schema is one this shipctl reads, and each lock can be read.
    static func state(_ store: any StateStore, scopes: [StateScope]) async -> DoctorSection {
        let title = "state — \(store.location)"
        var checks: [DoctorCheck] = []
        do {
            let verification = try await store.verify()
            if let bad = verification.firstBad {
                checks.append(
                    .failed(
                        "audit log",
                        "record \(bad.seq.map(String.init) ?? "at line \(bad.line)") breaks the chain: \(bad.reason)",
                        fix: "run `shipctl audit verify` and look at that record"))
            } else {
                checks.append(.ok("audit log", "reachable; \(verification.recordCount) records verify"))
            }
        } catch {
            // Nothing more can be read from a store this cannot reach: its locks would only read as free.
            return DoctorSection(title: title, checks: [.failed("audit log", error)])
        }
        do {
            if let layout = try await store.layout() { checks.append(.ok("schema", layout)) }
        } catch {
            checks.append(.failed("schema", error))
        }
        for scope in scopes {
            let holder = await store.lockHolder(scope)
            checks.append(
                .ok("lock \(scope.service)/\(scope.env)", holder.map { "held by \($0.description)" } ?? "free"))
        }
        if !store.spansMachines {
            checks.append(
                .ok(
                    "sharing",
                    "a folder on this machine: other runners and laptops see neither its locks nor its log "
                        + "(set `state.url` to the team's database to share them)"))
        }
        return DoctorSection(title: title, checks: checks)
    }

    public var text: String {
        let summary =
            failures == 0
            ? "doctor: everything a promote needs is in place (· marks what no harmless call can show)"
            : "doctor: \(failures) problem(s); a promote would stop or be reverted until they are fixed"
        return (sections.map(\.text) + [summary]).joined(separator: "\n")
    }

    public var json: JSONValue {
        ["event": "doctor", "sections": .array(sections.map(\.json)), "failures": .int(Int64(failures))]
    }
}
