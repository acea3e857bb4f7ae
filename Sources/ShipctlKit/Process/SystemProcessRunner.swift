import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs programs with Foundation's `Process`: both pipes drained concurrently
/// (a child blocked on a full stderr pipe would otherwise hang us), SIGTERM then
/// SIGKILL to the whole process tree at the timeout, retries with exponential
/// backoff and full jitter.
public struct SystemProcessRunner: ProcessRunning {
    public static let outputLimit = 16 << 20

    private let baseEnvironment: [String: String]
    private let sleeper: @Sendable (Duration) async -> Void

    public init(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        sleeper: @escaping @Sendable (Duration) async -> Void = { try? await Task.sleep(for: $0) }
    ) {
        self.baseEnvironment = environment
        self.sleeper = sleeper
    }

    public func run(_ request: ProcessRequest) async -> ProcessResult {
        let started = ContinuousClock.now
        var attempt = 1
        while true {
            var result = await runOnce(request)
            result.attempts = attempt
            let transient = request.retry.isTransient(result)
            if result.succeeded || !transient || attempt >= request.retry.maxAttempts {
                result.duration = ContinuousClock.now - started
                return result
            }
            let program = ([request.executable] + request.arguments.prefix(2)).joined(separator: " ")
            let why =
                result.timedOut
                ? "`\(program)` gave no answer within \(DurationParser.format(request.timeout))"
                : "`\(program)` failed (\(AnswerQuote.quote(result.stderr, limit: 200)))"
            RetryNotice.tell(why, nextAttempt: attempt + 1, of: request.retry.maxAttempts)
            await sleeper(request.retry.delay(beforeAttempt: attempt + 1))
            attempt += 1
        }
    }

    private func runOnce(_ request: ProcessRequest) async -> ProcessResult {
        var merged = baseEnvironment.merging(request.environment) { $1 }
        // A process started within a deployment's span continues its trace.
        if let span = TraceContext.current { merged["TRACEPARENT"] = span.traceparent }
        // The aws CLI adds `app/shipctl` to its User-Agent, so CloudTrail shows which calls were shipctl's.
        if (request.executable as NSString).lastPathComponent == "aws", merged["AWS_SDK_UA_APP_ID"] == nil {
            merged["AWS_SDK_UA_APP_ID"] = AWSAPIClient.appID
        }
        let environment = merged
        guard
            let path = Self.resolve(
                request.executable, path: environment["PATH"], workingDirectory: request.workingDirectory)
        else {
            return ProcessResult(
                status: 127, stdout: "", stderr: "\(request.executable): command not found on PATH",
                timedOut: false, attempts: 1, duration: .zero)
        }
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(
                    returning: Self.blockingRun(request, executablePath: path, environment: environment))
            }
        }
    }

    private static func blockingRun(_ request: ProcessRequest, executablePath: String, environment: [String: String])
        -> ProcessResult
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executablePath)
        process.arguments = request.arguments
        process.environment = environment
        if let dir = request.workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: dir) }
        let stdoutPipe = Pipe()
        let stderrPipe = Pipe()
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        process.standardInput = FileHandle.nullDevice
        let started = ContinuousClock.now
        do {
            // Foundation's Process.run() is not safe to call from several threads at once on
            // Linux (a concurrent spawn crashed in its memcpy); spawning takes a millisecond,
            // so one at a time costs nothing while the children still run side by side.
            try spawnLock.withLock { try process.run() }
        } catch {
            return ProcessResult(
                status: 126, stdout: "", stderr: "cannot start \(executablePath): \(error.localizedDescription)",
                timedOut: false, attempts: 1, duration: .zero)
        }
        let collected = OutputCollector()
        let group = DispatchGroup()
        for (pipe, isError) in [(stdoutPipe, false), (stderrPipe, true)] {
            group.enter()
            DispatchQueue.global().async {
                let data = Self.readAll(pipe.fileHandleForReading)
                collected.set(data, isError: isError)
                group.leave()
            }
        }
        let timedOut = TimeoutFlag()
        let pid = process.processIdentifier
        let killer = DispatchWorkItem {
            timedOut.set()
            let descendants = ProcessTree.signal(pid, SIGTERM)
            DispatchQueue.global().asyncAfter(deadline: .now() + 2) {
                // Only while it runs: once reaped, its pid may already belong to someone else.
                if process.isRunning { ProcessTree.signal(pid, SIGKILL) }
                for child in descendants { kill(child, SIGKILL) }
            }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + request.timeout.timeInterval, execute: killer)
        process.waitUntilExit()
        killer.cancel()
        // Grandchildren may keep the pipes open; don't wait on them forever.
        _ = group.wait(timeout: .now() + 5)
        let output = collected.value
        return ProcessResult(
            status: process.terminationStatus, stdout: String(decoding: output.stdout, as: UTF8.self),
            stderr: String(decoding: output.stderr, as: UTF8.self), timedOut: timedOut.value,
            attempts: 1, duration: ContinuousClock.now - started)
    }

    /// Reads to end of file with read(2): FileHandle.availableData traps when a
    /// signal interrupts the read (EINTR), and shipctl runs while signals arrive.
    private static func readAll(_ handle: FileHandle) -> Data {
        let descriptor = handle.fileDescriptor
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            if data.count < outputLimit { data.append(contentsOf: buffer[0..<min(count, outputLimit - data.count)]) }
        }
        return data
    }

    /// A name with a `/` is a path, relative to the request's working directory
    /// (a smoke script next to shipctl.yaml), not to wherever shipctl was started.
    static func resolve(_ executable: String, path: String?, workingDirectory: String? = nil) -> String? {
        if executable.contains("/") {
            let absolute =
                executable.hasPrefix("/") || workingDirectory == nil
                ? executable
                : URL(fileURLWithPath: workingDirectory!).appendingPathComponent(executable).standardized.path
            return FileManager.default.isExecutableFile(atPath: absolute) ? absolute : nil
        }
        for dir in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(dir)/\(executable)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

/// Serialises `Process.run()` across the whole process (see `blockingRun`).
private let spawnLock = NSLock()
