import Foundation
import ShipctlKit
import XCTest

/// The audit log's reader: what the canonical writer writes, the parser reads
/// back unchanged; what is not JSON is refused rather than half-read.
final class JSONValueTests: XCTestCase {
    func testCanonicalTextParsesBackToTheSameValue() {
        let value: JSONValue = [
            "seq": 42, "weight": 12.5, "negative": -3, "big": .int(Int64.max), "tiny": 1e-7, "flag": true,
            "none": .null,
            "text": "quote \" backslash \\ newline \n tab \t ünïcode 名前 emoji 🚀 control \u{01}",
            "list": [1, "two", [3.5, false], [:]], "nested": ["a": ["b": ["c": "d"]]],
        ]
        XCTAssertEqual(JSONValue.parse(value.canonical), value)
        XCTAssertEqual(JSONValue.parse(value.canonical)?.canonical, value.canonical)
    }

    func testEscapesAndWhitespaceOfOtherWritersAreRead() {
        XCTAssertEqual(
            JSONValue.parse(#" { "a" : [ 1 , 2 ] , "s" : "\u00e9\ud83d\ude80\/" } "#),
            ["a": [1, 2], "s": "é🚀/"])
        XCTAssertEqual(JSONValue.parse("1.0e2"), .number(100))
        XCTAssertEqual(JSONValue.parse("-0"), .int(0))
    }

    func testWhatIsNotJSONIsRefused() {
        for text in [
            "", "{", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "\"unterminated", "\"raw\ncontrol\"", "tru", "nul", "1 2",
            "{\"a\":1}x", "\"\\x\"", "\"\\ud83d\"", "NaN", "1e999",
            String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000),
        ] {
            XCTAssertNil(JSONValue.parse(text), text.prefix(40).description)
        }
    }
}
