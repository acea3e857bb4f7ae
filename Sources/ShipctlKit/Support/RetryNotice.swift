import Foundation

/// Who hears that a call to the outside is being tried again, and why. Set once per command (to the
/// reporter) and read by every retry loop, so on-call sees a slow or throttling cloud as it happens
/// ("no answer from lambda.us-east-1.amazonaws.com within 10s; trying again (2/4)") instead of minutes
/// of silence.
public enum RetryNotice {
    /// The listener, boxed: an optimised build crashed pushing a task-local whose type is an optional
    /// function (the specialised push got no type metadata for it); a struct's value pushes safely.
    struct Listener: Sendable {
        let hear: @Sendable (String) -> Void
    }

    @TaskLocal static var current: Listener?

    public static var listener: (@Sendable (String) -> Void)? { current?.hear }

    static func tell(_ why: String, nextAttempt: Int, of attempts: Int) {
        listener?("\(why); trying again (\(nextAttempt)/\(attempts))")
    }

    /// Runs `body` with `listener` hearing every retry within it.
    public static func reporting<T>(
        to listener: @escaping @Sendable (String) -> Void, _ body: () async throws(ShipctlError) -> T
    ) async throws(ShipctlError) -> T {
        try await $current.withValue(Listener(hear: listener), typed: body)
    }
}
