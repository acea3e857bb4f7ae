import Foundation

/// A flag in a flagd-style JSON file (`{"flags": {"NAME": {"state", "variants", "defaultVariant"}}}`),
/// for teams whose flag daemon reads a file from the repository or a volume.
/// Setting a flag changes its `defaultVariant` (and turns it `ENABLED`) through
/// `SharedFileUpdate`: under a lock (`FILE.lock`) that concurrent flips wait
/// for, written beside the old file and renamed over it, mode and owner kept,
/// and through a symbolic link to the file it names.
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
        guard let data = try CappedFile.read(file, what: "flag file") else {
            throw .runtime(
                "flag file \(file) does not exist", hint: "create it with a `flags` object, as flagd reads it")
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
        guard FileManager.default.fileExists(atPath: file) else {
            throw .runtime(
                "flag file \(file) does not exist", hint: "create it with a `flags` object, as flagd reads it")
        }
        try SharedFileUpdate.update(file, what: "flag file") { current throws(ShipctlError) in
            try changed(current, file: file)
        }
    }

    /// The file's bytes with this flag's variant as its default.
    private func changed(_ current: Data, file: String) throws(ShipctlError) -> Data {
        guard var document = try? JSONSerialization.jsonObject(with: current) as? [String: Any] else {
            throw .runtime("flag file \(file) is not a JSON object")
        }
        var flags = document["flags"] as? [String: Any] ?? [:]
        guard var entry = flags[flag] as? [String: Any] else {
            let known = flags.keys.sorted().joined(separator: ", ")
            throw .runtime(
                "flag `\(flag)` is not defined in \(file)\(known.isEmpty ? "" : "; it defines \(known)")",
                hint: "define it under `flags` with its variants first")
        }
        if let variants = entry["variants"] as? [String: Any], variants[variant] == nil {
            throw .runtime(
                "flag `\(flag)` in \(file) has no variant `\(variant)`; it has \(variants.keys.sorted().joined(separator: ", "))"
            )
        }
        entry["defaultVariant"] = variant
        entry["state"] = "ENABLED"
        flags[flag] = entry
        document["flags"] = flags
        guard let data = try? JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
        else {
            throw .runtime("cannot write flag file \(file): its flags do not make JSON")
        }
        return data
    }
}
