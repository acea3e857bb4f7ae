import Foundation

/// A time chart drawn as inline SVG: a time axis from `start` to `end`, a value
/// axis from `low` to `high`, and the marks placed on them. Every coordinate is
/// clamped into the frame, so no value from a log (huge, negative, infinite)
/// can produce a broken or enormous drawing.
struct SVGChart {
    static let width = 720.0
    static let height = 200.0
    private static let left = 64.0, right = 16.0, top = 12.0, bottom = 28.0

    let start: Date
    let end: Date
    let low: Double
    let high: Double

    init(start: Date, end: Date, low: Double, high: Double) {
        self.start = start
        self.end = end > start ? end : start.addingTimeInterval(1)
        let low = low.isFinite ? low : 0
        self.low = low
        self.high = high.isFinite && high > low ? high : low + 1
    }

    func x(_ date: Date) -> Double {
        let span = end.timeIntervalSince(start)
        let fraction = min(max(date.timeIntervalSince(start) / span, 0), 1)
        return Self.left + fraction * (Self.width - Self.left - Self.right)
    }

    func y(_ value: Double) -> Double {
        let fraction = value.isFinite ? min(max((value - low) / (high - low), 0), 1) : (value > 0 ? 1 : 0)
        return Self.top + (1 - fraction) * (Self.height - Self.top - Self.bottom)
    }

    /// The svg element around `marks`, with axes, three value labels and time labels.
    func svg(label: String, valueFormat: (Double) -> String, marks: [String]) -> String {
        var parts: [String] = []
        let bottomY = Self.height - Self.bottom
        for value in [low, (low + high) / 2, high] {
            let at = coordinate(y(value))
            parts.append(
                "<line class=\"grid\" x1=\"\(coordinate(Self.left))\" y1=\"\(at)\" x2=\"\(coordinate(Self.width - Self.right))\" y2=\"\(at)\"/>"
            )
            parts.append(
                "<text class=\"axis\" x=\"\(coordinate(Self.left - 6))\" y=\"\(at)\" text-anchor=\"end\" dominant-baseline=\"middle\">\(HTMLText.escaped(valueFormat(value)))</text>"
            )
        }
        let span = end.timeIntervalSince(start)
        for fraction in [0.0, 0.25, 0.5, 0.75, 1.0] {
            let at = start.addingTimeInterval(span * fraction)
            // The end labels lean inwards, so none runs past the chart's edge.
            let anchor = fraction == 0 ? "start" : fraction == 1 ? "end" : "middle"
            parts.append(
                "<text class=\"axis\" x=\"\(coordinate(x(at)))\" y=\"\(coordinate(bottomY + 18))\" "
                    + "text-anchor=\"\(anchor)\">+\(Self.seconds(span * fraction))</text>"
            )
        }
        parts.append(
            "<line class=\"frame\" x1=\"\(coordinate(Self.left))\" y1=\"\(coordinate(bottomY))\" x2=\"\(coordinate(Self.width - Self.right))\" y2=\"\(coordinate(bottomY))\"/>"
        )
        return
            "<svg class=\"chart\" viewBox=\"0 0 \(Int(Self.width)) \(Int(Self.height))\" role=\"img\" aria-label=\"\(HTMLText.escaped(label))\">"
            + (parts + marks).joined() + "</svg>"
    }

    /// A line that holds each value until the next one, and the last one until `end`.
    func stepLine(_ points: [(Date, Double)], className: String) -> String {
        guard let first = points.first else { return "" }
        var path = "M\(coordinate(x(first.0))) \(coordinate(y(first.1)))"
        for point in points.dropFirst() {
            path += " H\(coordinate(x(point.0))) V\(coordinate(y(point.1)))"
        }
        path += " H\(coordinate(x(end)))"
        return "<path class=\"\(HTMLText.escaped(className))\" d=\"\(path)\"/>"
    }

    func line(_ points: [(Date, Double)], className: String) -> String {
        guard points.count > 1 else { return "" }
        let list = points.map { "\(coordinate(x($0.0))),\(coordinate(y($0.1)))" }.joined(separator: " ")
        return "<polyline class=\"\(HTMLText.escaped(className))\" points=\"\(list)\"/>"
    }

    func horizontal(_ value: Double, className: String, title: String) -> String {
        let at = coordinate(y(value))
        return
            "<line class=\"\(HTMLText.escaped(className))\" x1=\"\(coordinate(Self.left))\" y1=\"\(at)\" x2=\"\(coordinate(Self.width - Self.right))\" y2=\"\(at)\"><title>\(HTMLText.escaped(title))</title></line>"
    }

    func dot(_ date: Date, _ value: Double, className: String, title: String) -> String {
        "<circle class=\"\(HTMLText.escaped(className))\" cx=\"\(coordinate(x(date)))\" cy=\"\(coordinate(y(value)))\" r=\"4\"><title>\(HTMLText.escaped(title))</title></circle>"
    }

    private func coordinate(_ value: Double) -> String { String(format: "%.1f", value) }

    static func seconds(_ interval: TimeInterval) -> String {
        guard interval.isFinite else { return "?" }
        if interval < 100 { return String(format: "%.1f s", interval) }
        if interval < 6000 { return String(format: "%.0f s", interval) }
        return String(format: "%.0f min", interval / 60)
    }
}
