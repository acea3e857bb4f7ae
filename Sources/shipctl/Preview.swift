import ArgumentParser
import Foundation
import ShipctlKit

struct Preview: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Preview environments per pull request: terraform workspace pr-N, ephemeral secrets, teardown.",
        discussion: """
            Every service with a `preview` block gets its own copy per pull request. `up` and `down` are idempotent; \
            `gc` tears down what has expired; `sync` does up or down from the GitHub Actions event by itself.

            Example: shipctl preview up --pr 42 --ttl 24h
            """,
        subcommands: [PreviewUp.self, PreviewDown.self, PreviewList.self, PreviewGC.self, PreviewSync.self]
    )
}

func positiveDuration(_ text: String, option: String) throws(ShipctlError) -> Duration {
    guard let value = DurationParser.parse(text), value > .zero else {
        throw .usage("\(option) \(text) is not a duration like 24h or 7d")
    }
    return value
}
