/// Runs a case per index spread over a few concurrent lanes (each lane takes
/// every `lanes`-th index), so that corpora of hundreds of binary runs finish
/// in a fraction of the time on a small machine; collects what the cases return.
public enum Lanes {
    public static func collect<T: Sendable>(
        _ count: Int, lanes: Int = 4, _ body: @escaping @Sendable (Int) async -> [T]
    ) async -> [T] {
        await withTaskGroup(of: [T].self) { group in
            for lane in 0..<lanes {
                group.addTask {
                    var found: [T] = []
                    for index in stride(from: lane, to: count, by: lanes) { found += await body(index) }
                    return found
                }
            }
            var all: [T] = []
            for await found in group { all += found }
            return all
        }
    }
}
