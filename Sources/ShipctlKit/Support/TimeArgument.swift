import Foundation

/// A point in time as people type it on a command line: RFC 3339
/// (`2026-12-03T08:00:00Z`), `now`, or an offset back from now (`-30m`, `-2h`).
public enum TimeArgument {
    public static func parse(_ text: String, now: Date = Date()) -> Date? {
        if text == "now" { return now }
        if text.hasPrefix("-"), let back = DurationParser.parse(String(text.dropFirst())) {
            return now.addingTimeInterval(-back.timeInterval)
        }
        return RFC3339.parse(text)
    }

    /// The time `flag` was given, or a usage error that shows how to write one (`example`, e.g. `--since=-2h`).
    public static func required(_ text: String, flag: String, example: String, now: Date) throws(ShipctlError) -> Date {
        guard let time = parse(text, now: now) else {
            throw .usage("\(flag) `\(text)` is not a time (RFC 3339, `now`, or e.g. `\(example)`)")
        }
        return time
    }
}
