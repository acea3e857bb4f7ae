import Foundation

extension PrometheusQuery {
    /// Asks for the query's first selector with one more matcher at a time: the first count that comes
    /// back empty names the matcher (or metric) that matches nothing, with the values its label has.
    public func explainNoData(_ context: EnvironmentContext) async -> String? {
        guard let selector = PromQLSelector(firstIn: text) else { return nil }
        for kept in 0...selector.matchers.count {
            switch await PrometheusQuery(text: selector.countQuery(matchers: kept)).read(context) {
            case .value: continue
            case .inconclusive: return nil
            case .noData:
                guard kept > 0 else { return "no series named `\(selector.metric)` exists in Prometheus now" }
                let matcher = selector.matchers[kept - 1]
                let before = selector.matchers.prefix(kept - 1)
                let within = "`\(selector.metric)`" + (before.isEmpty ? "" : " with \(before.joined(separator: ", "))")
                var explanation = "`\(matcher)` matches no series of \(within)"
                if let values = await labelValues(
                    matcher, of: PromQLSelector(metric: selector.metric, matchers: Array(before)), context)
                {
                    explanation += values.isEmpty ? "; that label has no values there" : "; its values there: " + values
                }
                return explanation
            }
        }
        return
            "`\(selector.text(matchers: selector.matchers.count))` has series, "
            + "but the whole expression drops them: a range shorter than two scrapes, or a filter"
    }

    /// The values the matcher's label takes on the series `within` selects, the first ten, quoted.
    private func labelValues(_ matcher: String, of within: PromQLSelector, _ context: EnvironmentContext) async
        -> String?
    {
        let label = String(matcher.prefix { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
        guard !label.isEmpty else { return nil }
        let items = [URLQueryItem(name: "match[]", value: within.text(matchers: within.matchers.count))]
        guard
            case .success(let values) = await ask(
                "/api/v1/label/\(label)/values", items, timeout: Self.timeout, as: [String].self, context: context)
        else { return nil }
        let shown = values.prefix(10).map { "\"\(context.redactor.quote($0, limit: 40))\"" }
        return shown.joined(separator: ", ") + (values.count > 10 ? " and \(values.count - 10) more" : "")
    }
}
