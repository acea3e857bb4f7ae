import Foundation

/// One configuration problem, pointing at the place in the file.
public struct ConfigIssue: Sendable, CustomStringConvertible, Equatable {
    public var file: String
    public var line: Int
    public var column: Int
    public var key: String
    public var message: String

    /// A problem with the whole file (its size, its encoding) points at its start:
    /// every configuration error names file:line:column.
    public init(file: String, line: Int, column: Int, key: String, message: String) {
        self.file = file
        self.line = max(line, 1)
        self.column = max(column, 1)
        self.key = key
        self.message = message
    }

    public var description: String {
        let location = "\(file):\(line):\(column)"
        return key.isEmpty ? "\(location): \(message)" : "\(location): \(key): \(message)"
    }
}
