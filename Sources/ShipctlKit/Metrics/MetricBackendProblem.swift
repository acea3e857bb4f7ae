import Foundation

/// Why a metrics backend gave no usable answer, in words for the user.
struct MetricBackendProblem: Error {
    let message: String
}
