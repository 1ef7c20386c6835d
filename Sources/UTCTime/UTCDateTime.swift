/// A UTC wall-clock time to the second, converted to and from Unix seconds without calendars or
/// locales (Howard Hinnant's civil-date algorithms), so formatting is pure and thread-safe.
public struct UTCDateTime: Sendable, Equatable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int

    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    public init(epochSeconds: Int64) {
        let days = Int(epochSeconds.floorDiv(86_400))
        let secondsOfDay = Int(epochSeconds - Int64(days) * 86_400)
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = doy - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        hour = secondsOfDay / 3600
        minute = secondsOfDay % 3600 / 60
        second = secondsOfDay % 60
    }

    public var epochSeconds: Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = Int64(era * 146_097 + doe - 719_468)
        return days * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    /// `2024-08-26T12:24:34Z`: RFC 3339 in UTC to the second, as the operator names backups.
    public var rfc3339: String {
        "\(pad(year, 4))-\(pad(month))-\(pad(day))T\(pad(hour)):\(pad(minute)):\(pad(second))Z"
    }

    /// `20240826T122434Z`, SigV4's x-amz-date.
    public var basicISO8601: String {
        "\(pad(year, 4))\(pad(month))\(pad(day))T\(pad(hour))\(pad(minute))\(pad(second))Z"
    }

    /// `20240826122434`: the operator's compact, DNS-safe time (`pkg/time`), as it names physical backups.
    public var compact: String { "\(pad(year, 4))\(pad(month))\(pad(day))\(pad(hour))\(pad(minute))\(pad(second))" }

    /// Parses the compact form as Go's `time.Parse("20060102150405", …)` does: exactly 14 ASCII
    /// digits naming a real date and time; nil for anything else.
    public static func parseCompact(_ text: String) -> UTCDateTime? {
        let digits = Array(text.utf8)
        guard digits.count == 14, digits.allSatisfy({ (48...57).contains($0) }) else { return nil }
        func number(_ start: Int, _ count: Int) -> Int {
            digits[start..<start + count].reduce(0) { $0 * 10 + Int($1 - 48) }
        }
        let (year, month, day) = (number(0, 4), number(4, 2), number(6, 2))
        let (hour, minute, second) = (number(8, 2), number(10, 2), number(12, 2))
        guard (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day), hour < 24, minute < 60,
            second < 60
        else { return nil }
        return UTCDateTime(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    }

    /// `20240826`, SigV4's credential-scope date.
    public var basicDate: String { "\(pad(year, 4))\(pad(month))\(pad(day))" }

    public var description: String { rfc3339 }

    public static func < (a: UTCDateTime, b: UTCDateTime) -> Bool { a.epochSeconds < b.epochSeconds }

    /// Parses RFC 3339 (`2024-08-26T12:24:34Z`, `…+02:00`, fractional seconds allowed unless
    /// `wholeSecondsOnly`), returning the UTC time; nil for anything else.
    public static func parseRFC3339(_ text: String, wholeSecondsOnly: Bool = false) -> UTCDateTime? {
        let chars = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= chars.count else { return nil }
            var value = 0
            for c in chars[range] {
                guard c >= 48 && c <= 57 else { return nil }
                value = value * 10 + Int(c - 48)
            }
            return value
        }
        guard chars.count >= 20,
            let year = number(0..<4), chars[4] == UInt8(ascii: "-"),
            let month = number(5..<7), chars[7] == UInt8(ascii: "-"),
            let day = number(8..<10), chars[10] == UInt8(ascii: "T") || chars[10] == UInt8(ascii: "t"),
            let hour = number(11..<13), chars[13] == UInt8(ascii: ":"),
            let minute = number(14..<16), chars[16] == UInt8(ascii: ":"),
            let second = number(17..<19)
        else { return nil }
        var index = 19
        if index < chars.count, chars[index] == UInt8(ascii: ".") {
            if wholeSecondsOnly { return nil }
            index += 1
            let start = index
            while index < chars.count, chars[index] >= 48, chars[index] <= 57 { index += 1 }
            if index == start { return nil }
        }
        guard index < chars.count else { return nil }
        var offsetSeconds = 0
        switch chars[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard index + 1 == chars.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard chars.count == index + 6, chars[index + 3] == UInt8(ascii: ":"),
                let h = number(index + 1..<index + 3), let m = number(index + 4..<index + 6), h < 24, m < 60
            else { return nil }
            offsetSeconds = (h * 3600 + m * 60) * (chars[index] == UInt8(ascii: "+") ? 1 : -1)
        default:
            return nil
        }
        guard (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
            hour < 24, minute < 60, second < 60
        else { return nil }
        let local = UTCDateTime(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        return UTCDateTime(epochSeconds: local.epochSeconds - Int64(offsetSeconds))
    }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    private func pad(_ value: Int, _ width: Int = 2) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

extension UTCDateTime {
    private enum LegacyKeys: String, CodingKey { case year, month, day, hour, minute, second }

    /// Reads `"2024-08-26T12:24:34Z"` (any RFC 3339 offset) and, for manifests written before the
    /// string form, the object `{"year":…,"second":…}`.
    public init(from decoder: any Decoder) throws {
        if let container = try? decoder.singleValueContainer(), let text = try? container.decode(String.self) {
            guard let time = UTCDateTime.parseRFC3339(text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "'\(text)' is not an RFC 3339 time such as 2024-08-26T12:24:34Z")
            }
            self = time
            return
        }
        let object = try decoder.container(keyedBy: LegacyKeys.self)
        self.init(
            year: try object.decode(Int.self, forKey: .year), month: try object.decode(Int.self, forKey: .month),
            day: try object.decode(Int.self, forKey: .day), hour: try object.decode(Int.self, forKey: .hour),
            minute: try object.decode(Int.self, forKey: .minute), second: try object.decode(Int.self, forKey: .second))
    }

    /// Always the RFC 3339 string: what jq, the operator and scripts expect of a time.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rfc3339)
    }
}

extension Int64 {
    func floorDiv(_ divisor: Int64) -> Int64 {
        let q = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? q - 1 : q
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension UTCDateTime {
    /// The current time, whole seconds.
    public static func now() -> UTCDateTime { UTCDateTime(epochSeconds: Int64(time(nil))) }
}

extension Duration {
    /// The duration in seconds, as a Double (for rates and reports).
    public var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
