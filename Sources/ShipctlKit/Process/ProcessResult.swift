import Foundation

#if canImport(Glibc)
    import Glibc
#endif

public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    public var timedOut: Bool
    public var attempts: Int
    public var duration: Duration

    public init(status: Int32, stdout: String, stderr: String, timedOut: Bool, attempts: Int, duration: Duration) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
        self.timedOut = timedOut
        self.attempts = attempts
        self.duration = duration
    }

    public var succeeded: Bool { status == 0 && !timedOut }
}
