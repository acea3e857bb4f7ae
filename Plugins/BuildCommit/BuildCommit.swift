import Foundation
import PackagePlugin

/// Stamps the commit a binary is built from into the `shipctl` module, so `shipctl --version` can say which
/// code runs. The command's inputs are git's record of the checked-out commit and every source file of the
/// package with its manifest, so a new commit, a checkout or an edit runs it again; it rewrites the stamp
/// only when the text changes, so nothing is compiled again for an edit that leaves the stamp as it was.
@main
struct BuildCommit: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let package = context.package.directoryURL
        let stamp = context.pluginWorkDirectoryURL.appending(path: "BuildCommit.swift")
        let git = Self.gitDirectories(package)
        let gitFiles =
            (["HEAD", "index", "logs/HEAD"].map { git.own.appending(path: $0) }
            + [git.common.appending(path: "packed-refs")])
            .filter { FileManager.default.fileExists(atPath: $0.path) }
        let sources = context.package.targets.compactMap { $0 as? SourceModuleTarget }
            .flatMap { $0.sourceFiles.map(\.url) }
        // Every file that changes the build beside the sources: the manifest, the pinned dependencies, this plugin.
        let manifest = ["Package.swift", "Package.resolved", "Plugins/BuildCommit/BuildCommit.swift"]
            .map { package.appending(path: $0) }.filter { FileManager.default.fileExists(atPath: $0.path) }
        // `git` answers nothing outside a checkout (a source archive): the stamp is then empty, not an error.
        let script = """
            commit=$(git -C "$1" rev-parse HEAD 2>/dev/null || true)
            modified=false
            if [ -n "$commit" ] && [ -n "$(git -C "$1" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
              modified=true
            fi
            text=$(printf 'let buildCommit = "%s"\\nlet buildTreeModified = %s' "$commit" "$modified")
            [ -f "$2" ] && [ "$(cat "$2")" = "$text" ] || printf '%s\\n' "$text" > "$2"
            """
        return [
            .buildCommand(
                displayName: "Stamping the commit shipctl is built from",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script, "stamp", package.path, stamp.path],
                inputFiles: gitFiles + manifest + sources,
                outputFiles: [stamp]
            )
        ]
    }

    /// The checkout's own git folder and the one its refs live in: `.git` itself, or in a `git worktree`
    /// (where `.git` is a file naming the worktree's folder) that folder and the main one it points back to.
    static func gitDirectories(_ package: URL) -> (own: URL, common: URL) {
        let dotGit = package.appending(path: ".git")
        guard let text = try? String(contentsOf: dotGit, encoding: .utf8), text.hasPrefix("gitdir:") else {
            return (dotGit, dotGit)
        }
        let path = text.dropFirst("gitdir:".count).trimmingCharacters(in: .whitespacesAndNewlines)
        let own = path.hasPrefix("/") ? URL(fileURLWithPath: path) : package.appending(path: path)
        let common =
            (try? String(contentsOf: own.appending(path: "commondir"), encoding: .utf8))
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .map { $0.hasPrefix("/") ? URL(fileURLWithPath: $0) : own.appending(path: $0) } ?? own
        return (own, common)
    }
}
