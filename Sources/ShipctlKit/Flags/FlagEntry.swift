import Foundation
import Yams

/// One flag entry of `on_failure.flags` as its kind reads it: typed values by
/// key, with every problem reported at its line like the rest of the file.
public struct FlagEntry {
    let reader: YAMLReader
    let node: Node
    let key: String
    let kind: String
    let fields: [String: Node]

    func report(_ message: String) {
        reader.report(node, key, message)
    }

    /// The mapping under the kind's key (`unleash: { url, project, … }`).
    func settings(allowed: [String], required: [String]) -> [String: Node]? {
        fields[kind].flatMap { reader.mapping($0, key: "\(key).\(kind)", allowed: allowed, required: required) }
    }

    /// A name at `field` of the entry, or of `settings` when given; `field` nil is the kind's own value.
    func name(_ field: String?, in settings: [String: Node]? = nil, allowSlash: Bool = false, placeholders: Bool = false) -> String? {
        value(field, in: settings) { node, path in reader.name(node, key: path, allowSlash: allowSlash, placeholders: placeholders) }
    }

    func string(_ field: String?, in settings: [String: Node]? = nil) -> String? {
        value(field, in: settings) { node, path in reader.string(node, key: path) }
    }

    func bool(_ field: String?, in settings: [String: Node]? = nil) -> Bool? {
        value(field, in: settings) { node, path in reader.bool(node, key: path) }
    }

    func url(_ field: String, in settings: [String: Node]? = nil) -> String? {
        value(field, in: settings) { node, path in reader.url(node, key: path) }
    }

    /// True when the entry or its settings hold `field`.
    func has(_ field: String, in settings: [String: Node]? = nil) -> Bool {
        (settings ?? fields)[field] != nil
    }

    private func value<T>(_ field: String?, in settings: [String: Node]?, _ read: (Node, String) -> T?) -> T? {
        let name = field ?? kind
        let path = settings == nil ? "\(key).\(name)" : "\(key).\(kind).\(name)"
        guard let node = (settings ?? fields)[name] else { return nil }
        return read(node, path)
    }
}
