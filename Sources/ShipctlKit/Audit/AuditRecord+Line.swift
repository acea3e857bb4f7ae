import Foundation

extension AuditRecord {
    /// The widest line a person is shown of one record; the whole record is in `--json`.
    public static let lineWidth = 160

    /// The record as people read it, who acted included: incident triage asks who first.
    /// Seq, time, actor (and CI run), service/env, deployment, [step], action, phase, outcome, then the
    /// arguments as `key=value` with numbers as every output rounds them, all within `lineWidth` columns.
    public var line: String {
        let who = actor + (run.map { " (run \($0))" } ?? "")
        let what = "[\(event.step)] \(action) \(phase.rawValue)"
        let ended = outcome.map { " → \($0)" } ?? ""
        let keys =
            Self.firstShown.filter { args[$0] != nil } + args.keys.sorted().filter { !Self.firstShown.contains($0) }
        let arguments = keys.compactMap { key in args[key].flatMap(Self.shown).map { "\(key)=\($0)" } }
        let text = ([("\(seq) \(ts) \(who) \(service)/\(env) \(deployment) \(what)\(ended)")] + arguments)
            .joined(separator: " ")
        return text.count <= Self.lineWidth ? text : String(text.prefix(Self.lineWidth - 1)) + "…"
    }

    /// What a reader looks for first in a record, before the rest in alphabetical order.
    static let firstShown = ["metric", "value", "baseline", "threshold", "reason", "to", "from", "version", "weight"]

    /// One argument's value for people; nil for none, for `false` (a flag not set) and for nested values
    /// (the judge's evidence, a step list), which only `--json` can show whole.
    private static func shown(_ value: JSONValue) -> String? {
        switch value {
        case .string(let text):
            let short = text.count > 40 ? String(text.prefix(39)) + "…" : text
            return short.contains(" ") || short.isEmpty ? "\"\(short)\"" : short
        case .number(let number): return MetricEvaluation.format(number)
        case .int(let number): return String(number)
        case .bool(let flag): return flag ? "true" : nil
        case .null, .array, .object: return nil
        }
    }
}
