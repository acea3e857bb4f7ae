import Foundation
import Yams

/// Loads `shipctl.yaml`, expands `${VAR}`, and validates every key against the documented format.
/// All problems are collected and thrown together as `ShipctlError.configuration`.
public struct ConfigLoader: Sendable {
    public static let maximumFileSize = 1 << 20

    public var environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// Loads and validates the file. Every secret the file names is taught to
    /// `redactor`, also when loading fails, so no message can show one.
    public func load(path: String, teaching redactor: Redactor? = nil) throws(ShipctlError) -> ShipctlConfig {
        let url = URL(fileURLWithPath: path)
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard let attributes else {
            throw .usage(
                "configuration file \(path) not found",
                hint: "run shipctl in the folder that holds shipctl.yaml, or pass --config FILE")
        }
        if let size = attributes[.size] as? Int, size > Self.maximumFileSize {
            throw .configuration([
                ConfigIssue(
                    file: path, line: 0, column: 0, key: "",
                    message: "file is \(size) bytes; shipctl.yaml may be at most \(Self.maximumFileSize) bytes")
            ])
        }
        guard let data = try? Data(contentsOf: url) else {
            throw .configuration([ConfigIssue(file: path, line: 0, column: 0, key: "", message: "cannot be read")])
        }
        let bytes = [UInt8](data)
        if let offset = SourcePosition.firstInvalidUTF8(in: bytes) {
            let position = SourcePosition(byteOffset: offset, in: bytes)
            throw .configuration([
                ConfigIssue(
                    file: path, line: position.line, column: position.column, key: "",
                    message: String(format: "byte 0x%02X is not UTF-8 text; save the file as UTF-8", bytes[offset]))
            ])
        }
        return try parse(yaml: String(decoding: bytes, as: UTF8.self), path: path, teaching: redactor)
    }

    public func parse(yaml: String, path: String, teaching redactor: Redactor? = nil) throws(ShipctlError)
        -> ShipctlConfig
    {
        guard yaml.utf8.count <= Self.maximumFileSize else {
            throw .configuration([
                ConfigIssue(
                    file: path, line: 0, column: 0, key: "",
                    message: "file is larger than \(Self.maximumFileSize) bytes")
            ])
        }
        if let offset = PlaceholderShield.firstClash(in: yaml) {
            let position = SourcePosition(byteOffset: offset, in: Array(yaml.utf8))
            throw .configuration([
                ConfigIssue(
                    file: path, line: position.line, column: position.column, key: "",
                    message: "contains a Unicode private-use character U+E000–U+E003, which shipctl reserves")
            ])
        }
        if let issue = AliasBudget.check(yaml, file: path) {
            throw .configuration([issue])
        }
        let root: Node
        do {
            guard let composed = try Yams.compose(yaml: PlaceholderShield.protect(yaml)) else {
                throw ShipctlError.configuration([
                    ConfigIssue(
                        file: path, line: 1, column: 1, key: "",
                        message: "the file is empty; it needs at least `version`, `environments` and `services`")
                ])
            }
            root = composed
        } catch let error as ShipctlError {
            throw error
        } catch let error as YamlError {
            throw .configuration([Self.issue(from: error, file: path, text: yaml)])
        } catch {
            throw .configuration([
                ConfigIssue(file: path, line: 0, column: 0, key: "", message: "not valid YAML: \(error)")
            ])
        }
        if let issue = AliasBudget.check(root, file: path) {
            throw .configuration([issue])
        }
        let reader = YAMLReader(file: path, interpolator: EnvironmentInterpolator(environment: environment))
        let config = ConfigParser(reader: reader, path: path).parse(root)
        for secret in reader.secrets { redactor?.learn(secret) }
        if let config, reader.issues.isEmpty {
            return config
        }
        throw .configuration(
            reader.issues.isEmpty
                ? [ConfigIssue(file: path, line: 1, column: 1, key: "", message: "invalid configuration")]
                : reader.issues)
    }

    static func issue(from error: YamlError, file: String, text: String) -> ConfigIssue {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let detail = context.map { "\(problem) (\($0.text))" } ?? problem
            return ConfigIssue(
                file: file, line: mark.line, column: mark.column, key: "", message: "not valid YAML: \(detail)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let first = SourcePosition(line: context.mark.line, column: context.mark.column)
            let names = duplicates.map(PlaceholderShield.restore)
            let repeated = names.first.flatMap { SourcePosition.repeatedKey($0, after: first, in: text) } ?? first
            return ConfigIssue(
                file: file, line: repeated.line, column: repeated.column, key: names.joined(separator: ", "),
                message: "key appears more than once in one mapping (first at line \(first.line)); keep one of them")
        case .reader(let problem, _, _, _):
            return ConfigIssue(file: file, line: 0, column: 0, key: "", message: "not valid YAML: \(problem)")
        default:
            return ConfigIssue(file: file, line: 0, column: 0, key: "", message: "not valid YAML: \(error)")
        }
    }
}
