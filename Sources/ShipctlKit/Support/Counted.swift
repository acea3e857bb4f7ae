import Foundation

/// "1 record", "2 records", "no record": a count and its noun as people write them.
enum Counted {
    static func phrase(_ count: Int, _ noun: String, plural: String? = nil) -> String {
        switch count {
        case 0: return "no \(noun)"
        case 1: return "1 \(noun)"
        default: return "\(count) \(plural ?? noun + "s")"
        }
    }

    /// What still holds before a broken record: "1 record before it verifies", "5 records before it verify".
    static func verifyingBefore(_ count: Int) -> String {
        "\(phrase(count, "record")) before it \(count <= 1 ? "verifies" : "verify")"
    }
}
