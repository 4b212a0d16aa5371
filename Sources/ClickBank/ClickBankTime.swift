/// A ClickBank timestamp: the instant, the UTC offset it was written with, and the text as sent.
///
/// ClickBank writes Pacific local time with its offset: v6 in ISO 8601 extended form
/// (`2017-09-26T13:38:12-07:00`), v7 in basic form (`20220810T162015-0700`). Both, `Z`, and optional
/// fractional seconds are accepted. The instant is what identifies an event; the offset and text are
/// kept for display and audit. Parsing is done here, without Foundation, so it is exact and fast.
public struct ClickBankTime: Sendable, Hashable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public var unixMilliseconds: Int64
    /// The offset from UTC the text was written in, in minutes (-420 for `-07:00`).
    public var utcOffsetMinutes: Int
    /// The timestamp exactly as received.
    public var text: String

    public init(unixMilliseconds: Int64, utcOffsetMinutes: Int, text: String) {
        self.unixMilliseconds = unixMilliseconds
        self.utcOffsetMinutes = utcOffsetMinutes
        self.text = text
    }

    /// A legacy `ctranstime`: Unix seconds as decimal text. The offset is UTC.
    public init?(unixSecondsText text: String) {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let seconds = Int64(text), seconds <= Int64.max / 1000
        else { return nil }
        self.init(unixMilliseconds: seconds * 1000, utcOffsetMinutes: 0, text: text)
    }

    /// Parses ISO 8601 date-time text in extended or basic form with a required offset
    /// (`Z`, `±HH:MM`, `±HHMM` or `±HH`). Returns nil for anything else, including impossible dates.
    public init?(iso8601 text: String) {
        var reader = DigitReader(Array(text.utf8))
        guard let year = reader.digits(4) else { return nil }
        // The first separator decides the form; the rest of the text must use the same one.
        let extended = reader.skip(UInt8(ascii: "-"))
        guard let month = reader.digits(2),
            !extended || reader.skip(UInt8(ascii: "-")),
            let day = reader.digits(2),
            reader.skip(UInt8(ascii: "T")) || reader.skip(UInt8(ascii: "t")),
            let hour = reader.digits(2),
            !extended || reader.skip(UInt8(ascii: ":")),
            let minute = reader.digits(2),
            !extended || reader.skip(UInt8(ascii: ":")),
            let second = reader.digits(2)
        else { return nil }
        var milliseconds = 0
        if reader.skip(UInt8(ascii: ".")) || reader.skip(UInt8(ascii: ",")) {
            guard let fraction = reader.fractionMilliseconds() else { return nil }
            milliseconds = fraction
        }
        guard let offsetMinutes = reader.utcOffset(), reader.isAtEnd else { return nil }
        guard (1...12).contains(month), (1...Self.daysIn(month: month, year: year)).contains(day),
            (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second)
        else { return nil }
        let days = Self.daysSinceEpoch(year: year, month: month, day: day)
        let localSeconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        let utcSeconds = localSeconds - Int64(offsetMinutes * 60)
        self.init(
            unixMilliseconds: utcSeconds * 1000 + Int64(milliseconds), utcOffsetMinutes: offsetMinutes, text: text)
    }

    public var description: String { self.text }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2:
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            return leap ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days from 1970-01-01 to the given proleptic Gregorian date (Howard Hinnant's days_from_civil).
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}

/// Reads fixed-width ASCII digit groups and separators from timestamp text.
private struct DigitReader {
    private let bytes: [UInt8]
    private var index = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var isAtEnd: Bool { self.index == self.bytes.count }

    /// Exactly `count` digits as a number, or nil (and nothing consumed).
    mutating func digits(_ count: Int) -> Int? {
        guard self.index + count <= self.bytes.count else { return nil }
        var value = 0
        for byte in self.bytes[self.index..<(self.index + count)] {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        self.index += count
        return value
    }

    mutating func skip(_ byte: UInt8) -> Bool {
        guard self.index < self.bytes.count, self.bytes[self.index] == byte else { return false }
        self.index += 1
        return true
    }

    /// 1-9 fraction digits, truncated to milliseconds.
    mutating func fractionMilliseconds() -> Int? {
        var milliseconds = 0
        var count = 0
        while self.index < self.bytes.count, self.bytes[self.index] >= UInt8(ascii: "0"),
            self.bytes[self.index] <= UInt8(ascii: "9")
        {
            if count < 3 { milliseconds = milliseconds * 10 + Int(self.bytes[self.index] - UInt8(ascii: "0")) }
            count += 1
            self.index += 1
        }
        guard (1...9).contains(count) else { return nil }
        while count < 3 {
            milliseconds *= 10
            count += 1
        }
        return milliseconds
    }

    /// `Z`, `±HH:MM`, `±HHMM` or `±HH`, in minutes east of UTC.
    mutating func utcOffset() -> Int? {
        if self.skip(UInt8(ascii: "Z")) || self.skip(UInt8(ascii: "z")) { return 0 }
        let sign: Int
        if self.skip(UInt8(ascii: "+")) {
            sign = 1
        } else if self.skip(UInt8(ascii: "-")) {
            sign = -1
        } else {
            return nil
        }
        guard let hours = self.digits(2), hours <= 23 else { return nil }
        var minutes = 0
        if !self.isAtEnd {
            _ = self.skip(UInt8(ascii: ":"))
            guard let parsed = self.digits(2), parsed <= 59 else { return nil }
            minutes = parsed
        }
        return sign * (hours * 60 + minutes)
    }
}
