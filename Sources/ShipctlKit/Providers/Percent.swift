import Foundation

enum Percent {
    /// "10", "12.50"; whatever the value, never a trap.
    static func format(_ value: Double) -> String {
        if let whole = Checked.int(value) { return String(whole) }
        return value.isFinite && abs(value) < 1e6 ? String(format: "%.2f", value) : String(value)
    }
}
