import Foundation

/// Renders an argument vector for people to read or paste; never executed by shipctl.
public enum ShellQuoting {
    public static func display(_ argv: [String]) -> String {
        argv.map { argument in
            let safe =
                !argument.isEmpty
                && argument.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_./:=,@%+".contains($0)) }
            return safe ? argument : "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }.joined(separator: " ")
    }
}
