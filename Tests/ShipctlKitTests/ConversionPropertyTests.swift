import Foundation
import PropertyBased
import Testing

@testable import ShipctlKit

/// Every helper that turns outside text or numbers into something shipctl
/// computes with or prints: none may trap, whatever it is given, and each
/// keeps its promise on the values it accepts.
@Suite struct ConversionPropertyTests {
    static let awkwardNumbers: [Double] = [
        .nan, .infinity, -.infinity, 1e300, -1e300, 9.2233720368547758e18, -9.2233720368547758e18,
        9.3e18, .greatestFiniteMagnitude, .leastNonzeroMagnitude, -0.0, 0.5, 99.999999, 100.0000001, -1,
    ]

    /// A number from outside: mostly random, often one of the awkward ones.
    static let numbers = zip(Gen.double(in: -1e307...1e307), Gen.int(in: 0...29)).map { random, pick in
        pick < awkwardNumbers.count ? awkwardNumbers[pick] : random
    }

    static let awkwardScalars: [Unicode.Scalar] = [
        ":", ":", "\n", "\r", "\u{1B}", "\u{9B}", "{", "}", "#", "[", "%", "\u{202E}", "\u{0}", "-", ".", "T", "Z",
        "\"", "\\", "$", "e",
    ]

    /// Text from outside: ASCII and Latin-1 (C0 and C1 controls included) laced with the characters parsers care about.
    static let texts = Gen.int(in: 0...(0xFF + awkwardScalars.count)).array(of: 0...40).map { codes in
        String(
            String.UnicodeScalarView(codes.map { $0 <= 0xFF ? Unicode.Scalar(UInt8($0)) : awkwardScalars[$0 - 0x100] }))
    }

    @Test func percentagesFormatWithoutTrapping() async {
        await propertyCheck(count: 2000, input: Self.numbers) { value in
            let text = Percent.format(value)
            #expect(!text.isEmpty)
            if let whole = Checked.int(value) { #expect(text == String(whole)) }
        }
    }

    /// The judge's numbers come from a metrics backend, or back from an audit record anyone with
    /// INSERT can write: whatever they are, the test, its bound and the evidence's words do not trap.
    @Test func theJudgeReadsAnyCountsWithoutTrapping() async {
        await propertyCheck(count: 500, input: Self.numbers, Self.numbers, Self.numbers, Self.numbers) { a, x, b, y in
            var test = RateRatioTest(allowedRatio: 1.5, confidence: 0.98)
            test.observe(.init(canaryRequests: a, canaryFailures: x, stableRequests: b, stableFailures: y))
            test.observe(.init(canaryRequests: x, canaryFailures: a, stableRequests: y, stableFailures: b))
            _ = test.rejects
            _ = test.lowerBound
            let json: JSONValue = [
                "canary_requests": .number(a), "canary_failures": .number(x), "stable_requests": .number(b),
                "stable_failures": .number(y), "ratio_lower_bound": .number(a), "allowed_ratio": .number(x),
                "confidence": .number(y), "evidence": .number(b), "evidence_needed": .number(a),
                "min_requests": .number(x),
            ]
            if let evidence = JudgeEvidence(json: json) { #expect(!evidence.summary.isEmpty) }
            var judge = JudgeConfig(minRequests: .auto)
            judge.confidence = min(max(y.isFinite ? y : 0.98, 0.5), 0.9999)
            #expect(judge.requiredRequests(allowedRatio: a.isFinite ? a : 1.5, stableRate: x) >= 0)
            _ = MannWhitneyShift.compare(canary: [a, x, b], stable: [y, a], confidence: 0.98)?.summary
        }
    }

    @Test func checkedIntegersAreExactAndInRange() async {
        await propertyCheck(count: 2000, input: Self.numbers, Gen.int(in: -1000...1000)) { value, bound in
            let range = min(bound, 0)...max(bound, 0)
            if let whole = Checked.int(value, in: range) {
                #expect(Double(whole) == value)
                #expect(range.contains(whole))
            }
            if let rounded = Checked.rounded(value) { #expect(abs(Double(rounded) - value) <= 0.5) }
            if let ms = Checked.milliseconds(value) { #expect(abs(Double(ms) - value * 1000) <= 1) }
            if let percent = Checked.percent(fromFraction: value) { #expect((0...100).contains(percent)) }
            if let percent = Checked.percent(value) { #expect((0...100).contains(percent)) }
            #expect(Checked.int(JSONValue.number(value), in: range) == Checked.int(value, in: range))
        }
    }

    @Test func integersFromJSONTextNeverTrap() async {
        await propertyCheck(count: 2000, input: Self.texts) { text in
            if let whole = Checked.int(JSONValue.string(text)) { #expect(String(whole) == text || text.hasPrefix("0")) }
            _ = JSONValue.parse(text)
            _ = Witness.parse(text)
        }
    }

    @Test func timestampsRoundTripAndNeverTrap() async {
        await propertyCheck(count: 2000, input: Self.numbers, Self.texts) { seconds, text in
            let formatted = Timestamp.format(Date(timeIntervalSince1970: seconds))
            let parsed = Timestamp.parse(formatted)
            #expect(parsed != nil, "\(formatted)")
            if seconds.isFinite, (0..<253_402_300_800).contains(seconds) {
                #expect(abs((parsed?.timeIntervalSince1970 ?? 0) - seconds) < 0.002, "\(seconds) → \(formatted)")
            }
            if let date = Timestamp.parse(text) { #expect(Timestamp.format(date).count == 24) }
        }
    }

    @Test func durationsParseBackToThemselves() async {
        await propertyCheck(count: 2000, input: Self.texts, Gen.int(in: 0...1_000_000_000)) { text, milliseconds in
            if let parsed = DurationParser.parse(text) {
                #expect(DurationParser.parse(DurationParser.format(parsed)) == parsed)
            }
            let duration = Duration.milliseconds(milliseconds)
            #expect(DurationParser.parse(DurationParser.format(duration)) == duration)
        }
    }

    @Test func neutralisedTextHoldsNoControlCharactersAndNoWorkflowCommand() async {
        await propertyCheck(count: 2000, input: Self.texts) { text in
            let shown = TerminalText.defusingWorkflowCommands(TerminalText.neutralised(text))
            #expect(
                !shown.unicodeScalars.contains {
                    ($0.value < 0x20 && $0 != "\n" && $0 != "\t") || (0x7F...0x9F).contains($0.value)
                })
            for line in shown.split(separator: "\n") {
                #expect(!line.trimmingCharacters(in: .whitespaces).hasPrefix("::"), "\(line)")
                #expect(!line.contains("##["))
            }
            let data = TerminalText.workflowCommandData(TerminalText.neutralised(text))
            #expect(!data.contains("\n") && !data.contains("\r"))
        }
    }

    @Test func configurationPositionsNeverTrap() async {
        await propertyCheck(count: 1000, input: Gen.int(in: 0...255).array(of: 0...60), Gen.int(in: -5...80)) {
            bytes, offset in
            let data = bytes.map(UInt8.init)
            let position = SourcePosition(byteOffset: offset, in: data)
            #expect(position.line >= 1 && position.column >= 1)
            if let invalid = SourcePosition.firstInvalidUTF8(in: data) {
                #expect(String(validating: data[..<invalid], as: UTF8.self) != nil)
            } else {
                #expect(String(validating: data, as: UTF8.self) != nil)
            }
        }
    }
}
