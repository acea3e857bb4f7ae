import Foundation

/// Reads every process's command line in /proc over and over until stopped,
/// and remembers any that holds `needle`: a secret passed as an argument is
/// readable by every local user while that program runs.
public final class CommandLineSampler: @unchecked Sendable {
    public struct Seen: Sendable {
        public var samples: Int
        public var leaks: [String]
    }

    private let needle: [UInt8]
    private let lock = NSLock()
    private var running = true
    private var seen = Seen(samples: 0, leaks: [])
    private var task: Task<Void, Never>?

    public init(looking needle: String) {
        self.needle = Array(needle.utf8)
        task = Task.detached { [self] in
            while self.isRunning {
                self.sampleOnce()
                try? await Task.sleep(for: .milliseconds(2))
            }
        }
    }

    private var isRunning: Bool { lock.withLock { running } }

    private func sampleOnce() {
        let pids =
            (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.filter { $0.allSatisfy(\.isNumber) } ?? []
        var leaks: [String] = []
        for pid in pids {
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), data.count >= needle.count
            else { continue }
            let bytes = [UInt8](data)
            if (0...(bytes.count - needle.count)).contains(where: {
                bytes[$0..<($0 + needle.count)].elementsEqual(needle)
            }) {
                leaks.append(String(decoding: bytes.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self))
            }
        }
        lock.withLock {
            seen.samples += 1
            seen.leaks += leaks.filter { !seen.leaks.contains($0) }
        }
    }

    /// Stops sampling and tells what was seen.
    public func stop() async -> Seen {
        lock.withLock { running = false }
        await task?.value
        return lock.withLock { seen }
    }
}
