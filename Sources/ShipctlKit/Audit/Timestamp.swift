import Crypto
import Foundation

/// UTC timestamps with milliseconds, e.g. `2026-11-23T06:20:00.123Z`.
public enum Timestamp {
    /// Reads what `format` writes (UTC, milliseconds).
    public static func parse(_ text: String) -> Date? {
        let numbers = text.split { !($0.isASCII && $0.isNumber) }.compactMap { Int32($0) }
        // Years a clock can mean; a record from year 2147483647 is not a date to compute with.
        guard numbers.count == 7, text.hasSuffix("Z"), (1970...9999).contains(numbers[0]),
            (1...12).contains(numbers[1]),
            (1...31).contains(numbers[2]), (0...23).contains(numbers[3]), (0...59).contains(numbers[4]),
            (0...60).contains(numbers[5]),
            (0...999).contains(numbers[6])
        else { return nil }
        var parts = tm()
        parts.tm_year = numbers[0] - 1900
        parts.tm_mon = numbers[1] - 1
        parts.tm_mday = numbers[2]
        parts.tm_hour = numbers[3]
        parts.tm_min = numbers[4]
        parts.tm_sec = numbers[5]
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)) + TimeInterval(numbers[6]) / 1000)
    }

    public static func format(_ date: Date) -> String {
        // Clamped to years 1970–9999 so that no date, however it was computed, overflows.
        let ms = min(max(Checked.milliseconds(date.timeIntervalSince1970) ?? 0, 0), 253_402_300_799_999)
        var seconds = time_t(ms / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(ms % 1000))
    }
}
