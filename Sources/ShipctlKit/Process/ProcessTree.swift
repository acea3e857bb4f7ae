import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A child and everything it started, found through /proc. A timeout must kill
/// the whole tree: `aws` and `gcloud` are Python programs often behind a
/// wrapper script, and a surviving grandchild keeps the output pipes open.
public enum ProcessTree {
    /// Every descendant of `root`, children before grandchildren.
    public static func descendants(of root: pid_t) -> [pid_t] {
        var children: [pid_t: [pid_t]] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry),
                let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let parent = parentPID(fromStat: stat)
            else { continue }
            children[parent, default: []].append(pid)
        }
        var found: [pid_t] = []
        var queue = [root]
        while !queue.isEmpty {
            let next = queue.removeFirst()
            for child in children[next] ?? [] where !found.contains(child) {
                found.append(child)
                queue.append(child)
            }
        }
        return found
    }

    /// Sends `signal` to `root` and every descendant, found before any of them dies
    /// (a dead parent's children are handed to init and could no longer be found).
    /// Returns the descendants it signalled.
    @discardableResult
    public static func signal(_ root: pid_t, _ signal: Int32) -> [pid_t] {
        var tree = descendants(of: root)
        if signal == SIGKILL {
            // A stopped process starts no child between the walk and the kill, so none
            // escapes it; walk again until a walk finds nobody new (SIGKILL ends stopped processes too).
            var stopped: Set<pid_t> = []
            while true {
                let running = ([root] + tree).filter { !stopped.contains($0) }
                if running.isEmpty { break }
                for pid in running { kill(pid, SIGSTOP) }
                stopped.formUnion(running)
                tree = descendants(of: root)
            }
        }
        kill(root, signal)
        for pid in tree { kill(pid, signal) }
        return tree
    }

    /// The fourth field of /proc/PID/stat; the command name before it may hold spaces and parentheses.
    static func parentPID(fromStat stat: String) -> pid_t? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? pid_t(fields[1]) : nil
    }
}
