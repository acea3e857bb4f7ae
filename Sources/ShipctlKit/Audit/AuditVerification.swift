import Foundation

public struct AuditVerification: Sendable {
    public var recordCount: Int
    /// The first line that breaks the chain: its 1-based line number, seq if readable, and why.
    public var firstBad: (line: Int, seq: Int64?, reason: String)?
    public var lastHash: String
    public var lastSeq: Int64

    public init(recordCount: Int, firstBad: (line: Int, seq: Int64?, reason: String)?, lastHash: String, lastSeq: Int64)
    {
        self.recordCount = recordCount
        self.firstBad = firstBad
        self.lastHash = lastHash
        self.lastSeq = lastSeq
    }

    /// The verifier's state at the end of a scan.
    public init(_ verifier: ChainVerifier, firstBad: (seq: Int64?, reason: String)?) {
        self.init(
            recordCount: verifier.count, firstBad: firstBad.map { (verifier.lineNumber, $0.seq, $0.reason) },
            lastHash: verifier.lastHash, lastSeq: verifier.lastSeq)
    }

    public var isValid: Bool { firstBad == nil }
}
