import Foundation

/// Parses the durations written in `shipctl.yaml` and on the command line:
/// `500ms`, `10s`, `2m`, `1h`, `1m30s`, `72h`.
public enum DurationParser {
    public static func parse(_ text: String) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.count <= 32 else { return nil }
        var total: Double = 0
        var number = ""
        var index = trimmed.startIndex
        var sawUnit = false
        while index < trimmed.endIndex {
            let char = trimmed[index]
            if char.isASCII, char.isNumber || char == "." {
                number.append(char)
                index = trimmed.index(after: index)
                continue
            }
            var unit = ""
            while index < trimmed.endIndex, trimmed[index].isASCII, trimmed[index].isLetter {
                unit.append(trimmed[index])
                index = trimmed.index(after: index)
            }
            guard let value = Double(number), let scale = unitSeconds[unit] else { return nil }
            total += value * scale
            number = ""
            sawUnit = true
        }
        // Past a century nothing is meant; the cap also keeps the conversion below from overflowing.
        guard number.isEmpty, sawUnit, total.isFinite, total < 100 * 365 * 86_400 else { return nil }
        return .milliseconds(Int64((total * 1000).rounded()))
    }

    private static let unitSeconds: [String: Double] = ["ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400]

    public static func format(_ duration: Duration) -> String {
        let ms = duration.milliseconds
        if ms % 1000 != 0 { return "\(ms)ms" }
        let seconds = ms / 1000
        if seconds >= 3600, seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds >= 60, seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }
}

extension Duration {
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    public var timeInterval: TimeInterval { Double(milliseconds) / 1000 }
}
