import ArgumentParser
import Foundation
import ShipctlKit

struct Preview: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Preview environments per pull request: terraform workspace pr-N, ephemeral secrets, teardown.",
        discussion: """
            Every service with a `preview` block gets its own copy per pull request. `up` and `down` are idempotent; \
            `gc` tears down what has expired; `sync` does up or down from the GitHub Actions event by itself.

            Example: shipctl preview up --pr 42 --ttl 24h
            """,
        subcommands: [PreviewUp.self, PreviewDown.self, PreviewList.self, PreviewGC.self, PreviewSync.self]
    )
}

/// Options the preview commands share: which services and which environment's region.
struct PreviewTarget: ParsableArguments {
    @OptionGroup var global: GlobalOptions
    @Option(help: "Only this service (default: every service with a `preview` block).") var service: String?
    @Option(help: "The environment whose region the preview lives in (default: the only one).") var env: String?

    func resolve(_ reporter: Reporter) throws(ShipctlError) -> (Session, [ServiceConfig], EnvironmentConfig) {
        let session = try Session.open(global, reporter)
        let services =
            try service.map { name throws(ShipctlError) in [try session.service(name)] }
            ?? session.config.services.filter { $0.preview != nil }
        if services.isEmpty {
            throw .usage("no service in \(session.config.path) has a `preview` block")
        }
        let environment: EnvironmentConfig
        if let env {
            environment = try session.environment(env)
        } else if session.config.environments.count == 1, let only = session.config.environments.values.first {
            environment = only
        } else {
            throw .usage(
                "say which environment's region the preview lives in: --env \(session.config.environments.keys.sorted().joined(separator: "|"))"
            )
        }
        return (session, services, environment)
    }
}

func positiveDuration(_ text: String, option: String) throws(ShipctlError) -> Duration {
    guard let value = DurationParser.parse(text), value > .zero else {
        throw .usage("\(option) \(text) is not a duration like 24h or 7d")
    }
    return value
}

struct PreviewUp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up", abstract: "Create or update the preview of a pull request.")
    @OptionGroup var target: PreviewTarget
    @Option(help: "The pull request number.") var pr: Int
    @Option(help: "How long it lives (default: the service's `preview.ttl`, else 72h).") var ttl: String?

    func run() async throws {
        try await runReportingErrors(json: target.global.json) { reporter throws(ShipctlError) in
            let lifetime = try ttl.map { text throws(ShipctlError) in try positiveDuration(text, option: "--ttl") }
            let (session, services, env) = try target.resolve(reporter)
            for service in services {
                try await PreviewEngine(
                    config: session.config, service: service, env: env, dependencies: session.dependencies
                ).up(pr: pr, ttl: lifetime)
            }
        }
    }
}

struct PreviewDown: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down", abstract: "Tear down the preview of a pull request: resources, workspace, secrets.")
    @OptionGroup var target: PreviewTarget
    @Option(help: "The pull request number.") var pr: Int

    func run() async throws {
        try await runReportingErrors(json: target.global.json) { reporter throws(ShipctlError) in
            let (session, services, env) = try target.resolve(reporter)
            for service in services {
                try await PreviewEngine(
                    config: session.config, service: service, env: env, dependencies: session.dependencies
                ).down(pr: pr)
            }
        }
    }
}

struct PreviewList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Every preview with its pull request, age, expiry and status.")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await runReportingErrors(json: global.json) { reporter throws(ShipctlError) in
            let session = try Session.open(global, reporter)
            let previews = try await PreviewHistory.read(from: session.dependencies.store).previews
            let now = Date()
            if global.json {
                for preview in previews { reporter.json(preview.json(at: now), event: "preview-active") }
                return
            }
            guard !previews.isEmpty else {
                reporter.line("no previews")
                return
            }
            reporter.line("PR      SERVICE         AGE       EXPIRES                   STATUS")
            for preview in previews {
                let age = DurationParser.format(
                    .seconds(Checked.int(preview.age(at: now).rounded(.down)).map(Int64.init) ?? 0))
                let row = [
                    "#\(preview.pr)".padding(toLength: 8, withPad: " ", startingAt: 0),
                    preview.service.padding(toLength: 16, withPad: " ", startingAt: 0),
                    age.padding(toLength: 10, withPad: " ", startingAt: 0),
                    Timestamp.format(preview.expiresAt).padding(toLength: 26, withPad: " ", startingAt: 0),
                    preview.isExpired(at: now) ? "expired" : "active",
                ]
                reporter.line(row.joined())
            }
        }
    }
}

struct PreviewGC: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc", abstract: "Tear down previews past their expiry, or older than --max-age; each on its own.")
    @OptionGroup var target: PreviewTarget
    @Option(help: "Also tear down previews older than this, e.g. 7d.") var maxAge: String?

    func run() async throws {
        try await runReportingErrors(json: target.global.json) { reporter throws(ShipctlError) in
            let maximum = try maxAge.map { text throws(ShipctlError) in try positiveDuration(text, option: "--max-age")
            }
            let (session, services, env) = try target.resolve(reporter)
            try await PreviewCollector(config: session.config, env: env, dependencies: session.dependencies)
                .collect(maxAge: maximum, services: Set(services.map(\.name)))
        }
    }
}

struct PreviewSync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Bring previews up or down from the GitHub Actions event (GITHUB_EVENT_NAME, GITHUB_EVENT_PATH).",
        discussion:
            "pull_request opened/reopened/synchronize → up; closed → down; the service's opt-out label → down; anything else → nothing."
    )
    @OptionGroup var target: PreviewTarget

    func run() async throws {
        try await runReportingErrors(json: target.global.json) { reporter throws(ShipctlError) in
            let event = try GitHubEvent.load(environment: ProcessInfo.processInfo.environment)
            let (session, services, env) = try target.resolve(reporter)
            for service in services {
                let engine = try PreviewEngine(
                    config: session.config, service: service, env: env, dependencies: session.dependencies)
                switch event.decision(optOutLabel: service.preview?.optOutLabel ?? "no-preview") {
                case .up(let pr): try await engine.up(pr: pr)
                case .down(let pr): try await engine.down(pr: pr)
                case .nothing(let reason): session.reporter.event("noop", "\(service.name): \(reason)")
                }
            }
        }
    }
}
