import Foundation

/// A flag in a flagd-style JSON file (`{"flags": {"NAME": {"defaultVariant": ...}}}`),
/// for teams whose flag daemon reads a file from the repo or a volume.
/// Setting a flag changes its `defaultVariant`; the file is replaced atomically.
public struct FileFlagStore: FlagStore {
    private let baseDirectory: String

    public init(baseDirectory: String) {
        self.baseDirectory = baseDirectory
    }

    public func handles(_ flip: FlagFlip) -> Bool {
        if case .file = flip { return true }
        return false
    }

    private func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : (baseDirectory as NSString).appendingPathComponent(path)
    }

    private func load(_ path: String) throws(ShipctlError) -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: resolve(path)) else {
            throw .runtime("flag file \(resolve(path)) does not exist", hint: "create it with a `flags` object, as flagd reads it")
        }
        guard let document = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw .runtime("flag file \(resolve(path)) is not a JSON object")
        }
        return document
    }

    public func read(_ flip: FlagFlip) async throws(ShipctlError) -> String? {
        guard case let .file(path, flag, _) = flip else { return nil }
        let flags = try load(path)["flags"] as? [String: Any]
        return (flags?[flag] as? [String: Any])?["defaultVariant"] as? String
    }

    public func set(_ flip: FlagFlip) async throws(ShipctlError) {
        guard case let .file(path, flag, variant) = flip else { return }
        var document = try load(path)
        var flags = document["flags"] as? [String: Any] ?? [:]
        guard var entry = flags[flag] as? [String: Any] else {
            throw .runtime("flag `\(flag)` is not defined in \(resolve(path))", hint: "define it under `flags` with its variants first")
        }
        if let variants = entry["variants"] as? [String: Any], variants[variant] == nil {
            throw .runtime("flag `\(flag)` in \(resolve(path)) has no variant `\(variant)`; it has \(variants.keys.sorted().joined(separator: ", "))")
        }
        entry["defaultVariant"] = variant
        flags[flag] = entry
        document["flags"] = flags
        do {
            let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
            try data.write(to: URL(fileURLWithPath: resolve(path)), options: .atomic)
        } catch {
            throw .runtime("cannot write flag file \(resolve(path)): \(error.localizedDescription)")
        }
    }
}
