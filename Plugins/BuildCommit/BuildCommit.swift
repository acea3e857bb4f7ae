import Foundation
import PackagePlugin

/// Stamps the commit a binary is built from into the `shipctl` module, so `shipctl --version` can say which
/// code runs. A prebuild command, because those run on every build: a new commit with no source change must
/// still change the stamp. The script rewrites the file only when its text changes, so a build at the same
/// commit compiles nothing again.
@main
struct BuildCommit: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "stamp")
        let file = output.appending(path: "BuildCommit.swift").path
        // `git` answers nothing outside a checkout (a source archive): the stamp is then empty, not an error.
        let script = """
            mkdir -p "$2"
            commit=$(git -C "$1" rev-parse HEAD 2>/dev/null || true)
            modified=false
            if [ -n "$commit" ] && [ -n "$(git -C "$1" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
              modified=true
            fi
            text=$(printf 'let buildCommit = "%s"\nlet buildTreeModified = %s' "$commit" "$modified")
            [ -f "$3" ] && [ "$(cat "$3")" = "$text" ] || printf '%s\n' "$text" > "$3"
            """
        return [
            .prebuildCommand(
                displayName: "Stamping the commit shipctl is built from",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script, "stamp", context.package.directoryURL.path, output.path, file],
                outputFilesDirectory: output
            )
        ]
    }
}
