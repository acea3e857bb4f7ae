import Foundation
import PackagePlugin

/// Stamps the commit a binary is built from into the `shipctl` module, so `shipctl --version` can say which
/// code runs. The command's inputs are git's record of the checked-out commit and every source file of the
/// package, so a new commit, a checkout or an edit runs it again; it rewrites the stamp only when the text
/// changes, so nothing is compiled again for an edit that leaves the stamp as it was.
@main
struct BuildCommit: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let package = context.package.directoryURL
        let stamp = context.pluginWorkDirectoryURL.appending(path: "BuildCommit.swift")
        let gitFiles = ["HEAD", "index", "logs/HEAD", "packed-refs"].map { package.appending(path: ".git/\($0)") }
            .filter { FileManager.default.fileExists(atPath: $0.path) }
        let sources = context.package.targets.compactMap { $0 as? SourceModuleTarget }
            .flatMap { $0.sourceFiles.map(\.url) }
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
                inputFiles: gitFiles + sources,
                outputFiles: [stamp]
            )
        ]
    }
}
