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
}
