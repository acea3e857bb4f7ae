import ArgumentParser
import Foundation
import ShipctlKit

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Path to the configuration file; without it, $SHIPCTL_CONFIG, else shipctl.yaml.")
    var config: String = ProcessInfo.processInfo.environment["SHIPCTL_CONFIG"] ?? "shipctl.yaml"

    @Flag(name: .long, help: "Machine output: one JSON object per line on stdout.")
    var json = false
}
