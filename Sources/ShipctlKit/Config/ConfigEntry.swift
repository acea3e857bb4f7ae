import Foundation
import Yams

/// One entry that names its kind by a key — a flag of `on_failure.flags`, a
/// metric of `analysis.metrics` — as that kind reads it: typed values by key,
/// with every problem reported at its line like the rest of the file.
public struct ConfigEntry {
    let reader: YAMLReader
    let node: Node
    let key: String
    let kind: String
    let fields: [String: Node]

    func report(_ message: String) {
        reader.report(node, key, message)
    }

    /// Reports a problem at one field of the entry, or of `settings` when given (the line of its value).
    func report(field: String, in settings: [String: Node]? = nil, _ message: String) {
        let path = settings == nil ? "\(key).\(field)" : "\(key).\(kind).\(field)"
        reader.report((settings ?? fields)[field] ?? node, path, message)
    }

    /// The mapping under the kind's key (`unleash: { url, project, … }`).
    func settings(allowed: [String], required: [String]) -> [String: Node]? {
        fields[kind].flatMap { reader.mapping($0, key: "\(key).\(kind)", allowed: allowed, required: required) }
    }

    /// A name at `field` of the entry, or of `settings` when given; `field` nil is the kind's own value.
    func name(
        _ field: String?, in settings: [String: Node]? = nil, allowSlash: Bool = false, placeholders: Bool = false
    ) -> String? {
        value(field, in: settings) { node, path in
            reader.name(node, key: path, allowSlash: allowSlash, placeholders: placeholders)
        }
    }

    func string(_ field: String?, in settings: [String: Node]? = nil) -> String? {
        value(field, in: settings) { node, path in reader.string(node, key: path) }
    }

    /// A value that is secret by its place (`token`, `password`), hidden in every output.
    func secret(_ field: String, in settings: [String: Node]? = nil) -> String? {
        value(field, in: settings) { node, path in reader.secret(node, key: path) }
    }

    func bool(_ field: String?, in settings: [String: Node]? = nil) -> Bool? {
        value(field, in: settings) { node, path in reader.bool(node, key: path) }
    }

    func url(_ field: String, in settings: [String: Node]? = nil) -> String? {
        value(field, in: settings) { node, path in reader.url(node, key: path) }
    }

    func int(_ field: String, in settings: [String: Node]? = nil, range: ClosedRange<Int>) -> Int? {
        value(field, in: settings) { node, path in reader.int(node, key: path, range: range) }
    }

    /// The `NAME: VALUE` pairs of a mapping at `field` of `settings`, each name checked.
    func pairs(_ field: String, in settings: [String: Node]) -> [(name: String, value: String)] {
        guard let node = settings[field], let entries = reader.namedEntries(node, key: "\(key).\(kind).\(field)") else {
            return []
        }
        return entries.compactMap { name, keyNode, value in
            let path = "\(key).\(kind).\(field).\(name)"
            guard reader.checkedName(name, node: keyNode, key: path) != nil, let text = reader.string(value, key: path)
            else { return nil }
            return (name, text)
        }
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
