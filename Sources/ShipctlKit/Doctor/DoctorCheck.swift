import Foundation

/// One thing `doctor` looked at: what, how it went, what it found, and what to do when it failed.
public struct DoctorCheck: Sendable, Equatable {
    public enum Status: String, Sendable {
        /// In place.
        case ok
        /// A promote would stop or be reverted because of it.
        case failed
        /// Needed, but no harmless call shows whether it is in place (a write permission).
        case notProbed = "not-probed"
    }

    /// What was checked: "credentials", "alias micro-app-api:live", "gate error-rate".
    public var subject: String
    public var status: Status
    /// What was found, in words.
    public var detail: String
    /// What to do about a failure (or where to look for what was not probed).
    public var fix: String?

    public init(_ subject: String, _ status: Status, _ detail: String, fix: String? = nil) {
        self.subject = subject
        self.status = status
        self.detail = detail
        self.fix = fix
    }

    public static func ok(_ subject: String, _ detail: String) -> DoctorCheck {
        DoctorCheck(subject, .ok, detail)
    }

    public static func failed(_ subject: String, _ detail: String, fix: String) -> DoctorCheck {
        DoctorCheck(subject, .failed, detail, fix: fix)
    }

    /// A check that failed with an error: its message (without the hint) as the detail, `fix` or else the hint.
    public static func failed(_ subject: String, _ error: ShipctlError, fix: String? = nil) -> DoctorCheck {
        DoctorCheck(subject, .failed, error.summary, fix: fix ?? error.hint ?? "see the message above")
    }

    var symbol: String {
        switch status {
        case .ok: return "✓"
        case .failed: return "✗"
        case .notProbed: return "·"
        }
    }

    var text: String {
        var line = "  \(symbol) \(subject): \(detail)"
        if let fix, status != .ok { line += "\n      fix: \(fix)" }
        return line
    }

    var json: JSONValue {
        var object: [String: JSONValue] = [
            "subject": .string(subject), "status": .string(status.rawValue), "detail": .string(detail),
        ]
        if let fix { object["fix"] = .string(fix) }
        return .object(object)
    }
}

extension DoctorCheck {
    /// Permissions only a change would show, each named with what needs it and where to grant it.
    static func unprobed(_ permissions: [(String, String)], fix: String) -> [DoctorCheck] {
        permissions.map { permission, use in
            DoctorCheck(permission, .notProbed, "needed for \(use); no harmless call shows it", fix: fix)
        }
    }

    /// The target's live split as read through its provider, the first thing a promote does;
    /// `fix` is the advice when the target does not exist.
    public static func split(_ split: Result<TrafficSplit, ShipctlError>, of target: String, missing fix: String)
        -> DoctorCheck
    {
        switch split {
        case .success(let split): return .ok(target, "serving \(split.description)")
        case .failure(let error):
            let notFound = ["ResourceNotFoundException", "NOT_FOUND", "not found", "could not be found"]
            return .failed(target, error, fix: notFound.contains(where: error.summary.contains) ? fix : nil)
        }
    }

    /// What a checking command printed, or the failed check.
    enum CommandAnswer {
        case output(String)
        case failed(DoctorCheck)
    }

    /// A command whose answer is the check: its trimmed output, or the failure with `fix`.
    static func command(
        _ subject: String, _ request: ProcessRequest, context: EnvironmentContext, fix: String
    ) async -> CommandAnswer {
        let result = await context.runner.run(request)
        guard result.succeeded else {
            return .failed(.failed(subject, .commandFailed(request, result, redactor: context.redactor), fix: fix))
        }
        return .output(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
