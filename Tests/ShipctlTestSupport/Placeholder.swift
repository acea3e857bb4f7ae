import ShipctlKit
