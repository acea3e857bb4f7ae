import Foundation

/// A flag in a flagd-style JSON file (`{"flags": {"NAME": {"state", "variants", "defaultVariant"}}}`),
/// for teams whose flag daemon reads a file from the repository or a volume.
/// Setting a flag changes its `defaultVariant` (and turns it `ENABLED`); the
/// file is written beside the old one and renamed over it, so a daemon
/// watching it never reads half a file.
public struct FileFlag: FlagTarget {
    public static let kind = "file"
    public static let otherKeys = ["flag", "variant"]
    public static let example = "{ file: flags.json, flag: NAME, variant: V }"

    public var path: String
    public var flag: String
    public var variant: String

    public static func parse(_ entry: ConfigEntry) -> FileFlag? {
        let path = entry.name(nil, allowSlash: true, placeholders: true)
        let flag = entry.name("flag")
        let variant = entry.string("variant")
        if !entry.has("flag") || !entry.has("variant") {
            entry.report("a file flag needs `flag` and `variant`")
        }
        guard let path, let flag, let variant else { return nil }
        return FileFlag(path: path, flag: flag, variant: variant)
    }

    public var name: String { flag }
    public var value: String { variant }
    public var details: [String: JSONValue] { ["path": .string(path)] }

    public func setting(_ value: String) throws(ShipctlError) -> FileFlag {
        FileFlag(path: path, flag: flag, variant: value)
    }

    public func filled(_ placeholders: Placeholders) -> FileFlag {
        FileFlag(path: placeholders.fill(path), flag: placeholders.fill(flag), variant: placeholders.fill(variant))
    }

    public var manualInstruction: String {
        "set `defaultVariant` of flag `\(flag)` to `\(variant)` in \(path)"
    }

    private func resolved(_ context: EnvironmentContext) -> String {
        path.hasPrefix("/") ? path : (context.baseDirectory as NSString).appendingPathComponent(path)
    }

    private func load(_ file: String) throws(ShipctlError) -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw .runtime("flag file \(file) does not exist", hint: "create it with a `flags` object, as flagd reads it")
        }
        guard let document = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw .runtime("flag file \(file) is not a JSON object")
        }
        return document
    }

    public func read(_ context: EnvironmentContext) async throws(ShipctlError) -> String? {
        let flags = try load(resolved(context))["flags"] as? [String: Any]
        return (flags?[flag] as? [String: Any])?["defaultVariant"] as? String
    }

    public func write(_ context: EnvironmentContext) async throws(ShipctlError) {
        let file = resolved(context)
        var document = try load(file)
        var flags = document["flags"] as? [String: Any] ?? [:]
        guard var entry = flags[flag] as? [String: Any] else {
            let known = flags.keys.sorted().joined(separator: ", ")
            throw .runtime("flag `\(flag)` is not defined in \(file)\(known.isEmpty ? "" : "; it defines \(known)")",
                           hint: "define it under `flags` with its variants first")
        }
        if let variants = entry["variants"] as? [String: Any], variants[variant] == nil {
            throw .runtime("flag `\(flag)` in \(file) has no variant `\(variant)`; it has \(variants.keys.sorted().joined(separator: ", "))")
        }
        entry["defaultVariant"] = variant
        entry["state"] = "ENABLED"
        flags[flag] = entry
        document["flags"] = flags
        do {
            let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
            // `.atomic` writes a temporary file in the same folder and renames it over the old one.
            try data.write(to: URL(fileURLWithPath: file), options: .atomic)
        } catch {
            throw .runtime("cannot write flag file \(file): \(error.localizedDescription)")
        }
    }
}
