import ArgumentParser
import Foundation
import ShipctlKit

extension InitTemplate.Platform: ExpressibleByArgument {}

struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a commented shipctl.yaml for one Lambda or Cloud Run service.",
        discussion: """
            Asks nothing when the flags give the answers; on a terminal it asks for what is missing, elsewhere a \
            missing answer is a usage error. Refuses to overwrite an existing file unless given --force. The file \
            passes `shipctl config validate` as written.

            Examples:
              shipctl init --provider lambda --function micro-app-api --alias live
              shipctl init --provider cloudrun --cloudrun-service api --region us-central1 --project my-proj
            """
    )

    @Option(help: "Where to write the configuration.") var config: String = "shipctl.yaml"
    @Option(help: "lambda or cloudrun.") var provider: InitTemplate.Platform?
    @Option(help: "The service's name in shipctl.") var service: String = "api"
    @Option(help: "The first environment.") var env: String = "prod"
    @Option(help: "Lambda: the function.") var function: String?
    @Option(help: "Lambda: the alias shipctl shifts.") var alias: String = "live"
    @Option(help: "Cloud Run: the service.") var cloudrunService: String?
    @Option(help: "The region (default: us-east-1 for Lambda, us-central1 for Cloud Run).") var region: String?
    @Option(help: "Cloud Run: the project (default: gcloud's).") var project: String?
    @Option(
        help: """
            A Prometheus that watches this environment (default: none for Lambda, whose gates read CloudWatch; \
            Google Cloud Managed Service for Prometheus for Cloud Run).
            """) var prometheus: String?
    @Flag(help: "Overwrite an existing file.") var force = false
    @Flag(help: "Machine output: one JSON object per line on stdout.") var json = false

    func run() async throws {
        try await runReportingErrors(json: json) { reporter throws(ShipctlError) in
            var chosen = self.provider
            if chosen == nil {
                chosen = try ask("provider (lambda or cloudrun)", flag: "--provider").flatMap(
                    InitTemplate.Platform.init(rawValue:))
            }
            guard let provider = chosen else { throw .usage("--provider must be lambda or cloudrun") }
            var target: String? = provider == .lambda ? function : cloudrunService
            if target == nil {
                target =
                    provider == .lambda
                    ? try ask("Lambda function name", flag: "--function")
                    : try ask("Cloud Run service name", flag: "--cloudrun-service")
            }
            let template = InitTemplate(
                provider: provider, service: service, env: env,
                region: region ?? (provider == .lambda ? "us-east-1" : "us-central1"),
                target: target ?? "", alias: alias, project: project, prometheus: prometheus)
            try template.check()
            if FileManager.default.fileExists(atPath: config), !force {
                throw .usage(
                    "\(config) already exists", hint: "pass --force to overwrite it, or --config to write elsewhere")
            }
            do {
                try Data(template.yaml.utf8).write(to: URL(fileURLWithPath: config), options: .atomic)
            } catch {
                throw .runtime("cannot write \(config): \(error.localizedDescription)")
            }
            if let ignored = try Self.ignoreSpool(besides: config) { reporter.line(ignored) }
            reporter.line(
                "wrote \(config) for \(provider.rawValue) service \(service) in \(env); next: `shipctl config validate --config \(config)`"
            )
        }
    }

    /// Adds `.shipctl/` to the `.gitignore` beside the configuration (made when there is none): the folder
    /// holds this machine's locks and spool, which must never come from a repository. Says what it did.
    static func ignoreSpool(besides config: String) throws(ShipctlError) -> String? {
        let path = URL(fileURLWithPath: config).deletingLastPathComponent().appendingPathComponent(".gitignore").path
        let current = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        let lines = current.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !lines.contains(where: { [".shipctl", ".shipctl/", "/.shipctl", "/.shipctl/"].contains($0) }) else {
            return nil
        }
        let text = current + (current.isEmpty || current.hasSuffix("\n") ? "" : "\n") + ".shipctl/\n"
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .runtime("cannot write \(path): \(error.localizedDescription)")
        }
        return "added .shipctl/ (this machine's locks and spool) to \(path)"
    }

    /// Reads an answer on a terminal; elsewhere a missing flag is a usage error.
    private func ask(_ question: String, flag: String) throws(ShipctlError) -> String? {
        guard isatty(0) == 1 else {
            throw .usage("\(flag) is missing", hint: "give it on the command line: `shipctl init --help` lists them")
        }
        return Reporter.ask(question)
    }
}
