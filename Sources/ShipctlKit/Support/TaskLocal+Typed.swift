import Foundation

extension TaskLocal {
    /// `withValue` for a body that throws only `ShipctlError`: the standard one rethrows `any Error`.
    func withValue<T>(_ value: Value, typed body: () async throws(ShipctlError) -> T) async throws(ShipctlError) -> T {
        let result: Result<T, ShipctlError> = await withValue(
            value,
            operation: {
                do throws(ShipctlError) {
                    return .success(try await body())
                } catch {
                    return .failure(error)
                }
            })
        return try result.get()
    }
}
