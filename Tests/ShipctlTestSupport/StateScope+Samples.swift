import ShipctlKit

extension StateScope {
    /// The sample configuration's service and environment, on whatever target: records of every target count.
    public static let apiProd = StateScope(service: "api", env: "prod", target: "")
}
