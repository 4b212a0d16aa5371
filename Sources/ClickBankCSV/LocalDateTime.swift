/// A wall-clock date and time as written in an export, before a time zone gives it an instant.
///
/// Dates: `2024-03-05` (also `2024/03/05`) or US `03/07/2024` (also `3/7/2024`, `03-07-2024`): with the year
/// last, the month comes first, as in ClickBank's US reports. Times: `14:03:27`, `2:03:27 PM`, `14:03`,
/// optional fraction of a second (kept to milliseconds). A combined value puts a space or `T` between the
/// two, and may end in `Z` or an offset (`-07:00`, `-0700`), which then wins over the configured zone.
/// Parsing reads the UTF-8 bytes directly, with no allocation.
struct LocalDateTime: Sendable, Hashable {
    /// Days since 1970-01-01 of the local date.
    var epochDay: Int
    /// Seconds since local midnight.
    var secondOfDay: Int
    var millisecond: Int
    /// Minutes east of UTC when the text carries an offset.
    var explicitOffsetMinutes: Int?

    /// A date alone; nil if it is not one of the date forms or not a real date.
    static func parseDate(_ text: String) -> Int? {
        var cursor = ASCIICursor(text)
        cursor.skipSpaces()
        guard let day = cursor.date() else { return nil }
        cursor.skipSpaces()
        return cursor.isAtEnd ? day : nil
    }

    /// A time alone: (second of day, millisecond, explicit offset).
    static func parseTime(_ text: String) -> (seconds: Int, millisecond: Int, offset: Int?)? {
        var cursor = ASCIICursor(text)
        cursor.skipSpaces()
        guard let time = cursor.time() else { return nil }
        cursor.skipSpaces()
        return cursor.isAtEnd ? time : nil
    }

    /// Which half of a combined value is wrong.
    enum CombinedFailure: Error {
        case date
        case time
    }

    /// A combined date and time.
    static func parseCombined(_ text: String) -> Result<LocalDateTime, CombinedFailure> {
        var cursor = ASCIICursor(text)
        cursor.skipSpaces()
        guard let day = cursor.date() else { return .failure(.date) }
        let spaces = cursor.skipSpaces()
        if !cursor.skip(UInt8(ascii: "T")), !cursor.skip(UInt8(ascii: "t")), spaces == 0 {
            return .failure(.time)
        }
        guard let time = cursor.time() else { return .failure(.time) }
        cursor.skipSpaces()
        guard cursor.isAtEnd else { return .failure(.time) }
        return .success(LocalDateTime(
            epochDay: day, secondOfDay: time.seconds, millisecond: time.millisecond, explicitOffsetMinutes: time.offset
        ))
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    static func epochDay(year: Int, month: Int, day: Int) -> Int {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2:
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            return leap ? 29 : 28
        case 4, 6, 9, 11:
            return 30
        default:
            return 31
        }
    }
}

/// Reads ASCII numbers and marks from a string's UTF-8 view without copying it.
private struct ASCIICursor {
    let bytes: String.UTF8View
    var index: String.Index

    init(_ text: String) {
        self.bytes = text.utf8
        self.index = self.bytes.startIndex
    }

    var isAtEnd: Bool { self.index == self.bytes.endIndex }

    var peek: UInt8? { self.isAtEnd ? nil : self.bytes[self.index] }

    @discardableResult
    mutating func skipSpaces() -> Int {
        var count = 0
        while let byte = self.peek, byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
            self.bytes.formIndex(after: &self.index)
            count += 1
        }
        return count
    }

    mutating func skip(_ byte: UInt8) -> Bool {
        guard self.peek == byte else { return false }
        self.bytes.formIndex(after: &self.index)
        return true
    }

    /// 1 to `maxDigits` digits: (value, digit count).
    mutating func number(maxDigits: Int) -> (value: Int, digits: Int)? {
        var value = 0
        var digits = 0
        while digits < maxDigits, let byte = self.peek, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
            digits += 1
            self.bytes.formIndex(after: &self.index)
        }
        return digits == 0 ? nil : (value, digits)
    }

    /// `YYYY-MM-DD`, `YYYY/MM/DD`, `MM/DD/YYYY` or `MM-DD-YYYY`: the epoch day, if the date exists.
    mutating func date() -> Int? {
        guard let first = self.number(maxDigits: 4) else { return nil }
        guard let separator = self.peek, separator == UInt8(ascii: "-") || separator == UInt8(ascii: "/") else {
            return nil
        }
        self.bytes.formIndex(after: &self.index)
        guard let second = self.number(maxDigits: 2), self.skip(separator) else { return nil }
        let year: Int
        let month: Int
        let day: Int
        if first.digits == 4 {
            guard let third = self.number(maxDigits: 2) else { return nil }
            (year, month, day) = (first.value, second.value, third.value)
        } else {
            guard first.digits <= 2, let third = self.number(maxDigits: 4), third.digits == 4 else { return nil }
            (year, month, day) = (third.value, first.value, second.value)
        }
        guard year >= 1900, (1...12).contains(month), (1...LocalDateTime.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        return LocalDateTime.epochDay(year: year, month: month, day: day)
    }

    /// `H:MM[:SS[.fff]] [AM|PM|A.M.|P.M.] [Z|±HH[:MM]]`.
    mutating func time() -> (seconds: Int, millisecond: Int, offset: Int?)? {
        guard var hour = self.number(maxDigits: 2)?.value, self.skip(UInt8(ascii: ":")),
              let minute = self.number(maxDigits: 2), minute.digits == 2
        else { return nil }
        var second = 0
        var millisecond = 0
        if self.skip(UInt8(ascii: ":")) {
            guard let parsed = self.number(maxDigits: 2), parsed.digits == 2 else { return nil }
            second = parsed.value
            if self.skip(UInt8(ascii: ".")) {
                guard let fraction = self.number(maxDigits: 9) else { return nil }
                var value = fraction.value
                for _ in fraction.digits..<max(fraction.digits, 3) {
                    value *= 10
                }
                for _ in 3..<max(3, fraction.digits) {
                    value /= 10
                }
                millisecond = value
            }
        }
        let spaces = self.skipSpaces()
        if let meridiem = self.meridiem() {
            guard (1...12).contains(hour) else { return nil }
            hour = (hour % 12) + (meridiem ? 12 : 0)
        } else if spaces > 0, let byte = self.peek, byte != UInt8(ascii: "+"), byte != UInt8(ascii: "-"),
                  byte != UInt8(ascii: "Z")
        {
            return nil
        }
        guard (0...23).contains(hour), (0...59).contains(minute.value), (0...59).contains(second) else { return nil }
        self.skipSpaces()
        var offset: Int?
        if !self.isAtEnd {
            guard let parsed = self.utcOffset() else { return nil }
            offset = parsed
        }
        return (hour * 3600 + minute.value * 60 + second, millisecond, offset)
    }

    /// AM (false) or PM (true), any case, with or without dots.
    private mutating func meridiem() -> Bool? {
        let start = self.index
        guard let first = self.peek else { return nil }
        let isPM: Bool
        switch first | 0x20 {
        case UInt8(ascii: "a"): isPM = false
        case UInt8(ascii: "p"): isPM = true
        default: return nil
        }
        self.bytes.formIndex(after: &self.index)
        _ = self.skip(UInt8(ascii: "."))
        guard let m = self.peek, m | 0x20 == UInt8(ascii: "m") else {
            self.index = start
            return nil
        }
        self.bytes.formIndex(after: &self.index)
        _ = self.skip(UInt8(ascii: "."))
        return isPM
    }

    /// `Z`, `±HH:MM`, `±HHMM` or `±HH`, in minutes east of UTC.
    private mutating func utcOffset() -> Int? {
        if self.skip(UInt8(ascii: "Z")) || self.skip(UInt8(ascii: "z")) {
            return self.isAtEnd ? 0 : nil
        }
        let sign: Int
        if self.skip(UInt8(ascii: "+")) {
            sign = 1
        } else if self.skip(UInt8(ascii: "-")) {
            sign = -1
        } else {
            return nil
        }
        guard let hours = self.number(maxDigits: 2), hours.digits == 2, hours.value <= 23 else { return nil }
        var minutes = 0
        if !self.isAtEnd {
            _ = self.skip(UInt8(ascii: ":"))
            guard let parsed = self.number(maxDigits: 2), parsed.digits == 2, parsed.value <= 59 else { return nil }
            minutes = parsed.value
        }
        return self.isAtEnd ? sign * (hours.value * 60 + minutes) : nil
    }
}
