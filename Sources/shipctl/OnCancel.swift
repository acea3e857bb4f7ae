import ArgumentParser
import ShipctlKit

/// What a cancelled canary does with traffic.
enum OnCancel: String, ExpressibleByArgument, CaseIterable {
    case revert, hold
}
