import Foundation

/// The one way a number that came from outside (a CLI answer, the audit log,
/// a GitHub event, the configuration) becomes an integer or a percentage.
/// Swift's `Int(_:)` on a Double traps on NaN, infinity and anything out of
/// range; these return nil instead, and the caller turns that into an error
/// that quotes what it was given.
public enum Checked {
    /// The integer `value` holds exactly, if it is whole and within `range`.
    public static func int(_ value: Double, in range: ClosedRange<Int> = Int.min...Int.max) -> Int? {
        guard value.isFinite, value == value.rounded(), abs(value) < 9.0e15, let whole = Int(exactly: value),
            range.contains(whole)
        else { return nil }
        return whole
    }

    /// `value` rounded to the nearest integer, if that lies within `range`.
    public static func rounded(_ value: Double, in range: ClosedRange<Int> = Int.min...Int.max) -> Int? {
        guard value.isFinite, abs(value) < 9.0e15 else { return nil }
        return int(value.rounded(), in: range)
    }

    /// An integer from JSON: a number, or a decimal string of digits.
    public static func int(_ value: JSONValue?, in range: ClosedRange<Int> = Int.min...Int.max) -> Int? {
        switch value {
        case .int(let whole)?:
            guard let narrowed = Int(exactly: whole), range.contains(narrowed) else { return nil }
            return narrowed
        case .number(let number)?:
            return int(number, in: range)
        case .string(let text)?:
            guard !text.isEmpty, text.count <= 20, text.allSatisfy({ $0.isASCII && $0.isNumber }),
                let whole = Int(text), range.contains(whole)
            else { return nil }
            return whole
        default:
            return nil
        }
    }

    /// A fraction of traffic (0.0–1.0, as Lambda writes it) as a percentage.
    public static func percent(fromFraction fraction: Double) -> Double? {
        guard fraction.isFinite, (0...1).contains(fraction) else { return nil }
        return (fraction * 100 * 1000).rounded() / 1000
    }

    /// A percentage of traffic, 0–100.
    public static func percent(_ value: Double) -> Double? {
        guard value.isFinite, (0...100).contains(value) else { return nil }
        return value
    }

    /// Seconds as whole milliseconds, if they fit.
    public static func milliseconds(_ seconds: Double) -> Int64? {
        let scaled = seconds * 1000
        guard scaled.isFinite, abs(scaled) < 9.0e15 else { return nil }
        return Int64(scaled.rounded(.down))
    }
}
