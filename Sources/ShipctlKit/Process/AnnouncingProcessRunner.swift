import Foundation

/// Runs programs through `base`, saying when a long phase starts and, past a few seconds, that it is still
/// running: a `terraform apply` of a preview takes tens of seconds, and silence that long reads as a hang.
struct AnnouncingProcessRunner: ProcessRunning {
    let base: any ProcessRunning
    let say: @Sendable (String) -> Void
    /// The subcommands worth a line of their own when they start (`terraform plan`, not `terraform output`).
    var phases: Set<String> = ["init", "plan", "apply", "destroy"]
    var quietFor: Duration = .seconds(5)
    var every: Duration = .seconds(10)

    func run(_ request: ProcessRequest) async -> ProcessResult {
        let what = ([request.executable] + request.arguments.prefix(1)).joined(separator: " ")
        if let subcommand = request.arguments.first, phases.contains(subcommand) {
            say("\(what) in \(request.workingDirectory ?? ".") started")
        }
        let (base, say, quietFor, every) = (base, say, quietFor, every)
        return await withTaskGroup(of: ProcessResult?.self) { group in
            group.addTask { await base.run(request) }
            group.addTask {
                var waited = quietFor
                try? await Task.sleep(for: quietFor)
                while !Task.isCancelled {
                    say("\(what) still running after \(DurationParser.format(waited))")
                    try? await Task.sleep(for: every)
                    waited += every
                }
                return nil
            }
            var result: ProcessResult?
            for await answer in group {
                guard let answer else { continue }
                result = answer
                group.cancelAll()
            }
            return result
                ?? ProcessResult(
                    status: 1, stdout: "", stderr: "\(what) did not run", timedOut: false, attempts: 0, duration: .zero)
        }
    }
}
