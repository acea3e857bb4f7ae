import ArgumentParser; import ShipctlKit; print(ShipctlKitVersion.current)
