import Foundation

/// RFC 3339 times as other programs write them (Prometheus: nanoseconds and a
/// `Z` or a `+01:00` offset), which `Timestamp` (shipctl's own millisecond form) does not read.
public enum RFC3339 {
    public static func parse(_ text: String) -> Date? {
        let characters = Array(text)
        guard characters.count >= 20, characters.count <= 40, characters[10] == "T" || characters[10] == "t" else {
            return nil
        }
        let digits = { (range: Range<Int>) -> Int? in
            let part = String(characters[range])
            return part.allSatisfy { $0.isASCII && $0.isNumber } ? Int(part) : nil
        }
        guard let year = digits(0..<4), let month = digits(5..<7), let day = digits(8..<10),
            let hour = digits(11..<13), let minute = digits(14..<16), let second = digits(17..<19),
            (1970...9999).contains(year), (1...12).contains(month), (1...31).contains(day),
            (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second)
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < characters.count, characters[index] == "." {
            index += 1
            var scale = 0.1
            while index < characters.count, characters[index].isASCII, characters[index].isNumber {
                fraction += Double(characters[index].wholeNumberValue ?? 0) * scale
                scale /= 10
                index += 1
            }
        }
        var offset = 0
        if index < characters.count, characters[index] == "Z" || characters[index] == "z" {
            index += 1
        } else if index + 6 == characters.count, characters[index] == "+" || characters[index] == "-",
            let hours = digits((index + 1)..<(index + 3)), let minutes = digits((index + 4)..<(index + 6)), hours <= 23,
            minutes <= 59
        {
            offset = (hours * 3600 + minutes * 60) * (characters[index] == "-" ? -1 : 1)
            index += 6
        } else {
            return nil
        }
        guard index == characters.count else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts) - offset) + fraction)
    }
}
