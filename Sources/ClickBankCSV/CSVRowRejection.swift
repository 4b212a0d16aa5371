/// Why one row was not imported. The rest of the file goes on.
///
/// `reason` helps the user fix the file and never contains a customer's name or e-mail: it quotes a
/// cell only for date, time and amount columns, and only when the cell looks like one (see `safeQuote`).
public struct CSVRowRejection: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: Sendable, Hashable {
        /// The record could not be read (invalid UTF-8, too long, unterminated quote).
        case unreadableRecord
        /// The row has a different number of fields than the header.
        case fieldCountMismatch
        /// A required cell is empty.
        case missingValue
        case invalidDate
        case invalidTime
        /// A wall-clock time skipped by a daylight-saving change in the configured zone.
        case nonexistentLocalTime
        case invalidAmount
    }

    /// 1-based physical line where the row starts.
    public var line: Int
    public var code: Code
    /// The header name of the column at fault, when there is one.
    public var column: String?
    public var reason: String

    public init(line: Int, code: Code, column: String? = nil, reason: String) {
        self.line = line
        self.code = code
        self.column = column
        self.reason = reason
    }

    public var description: String {
        "line \(self.line): \(self.reason)"
    }

    /// The cell in quotes if it is short and looks like a date, time or amount (digits, punctuation and at
    /// most three letters such as "PM" or "USD"); otherwise a placeholder, so that a shifted column holding
    /// a name or an e-mail address is never echoed.
    static func safeQuote(_ value: String) -> String {
        var letters = 0
        for scalar in value.unicodeScalars {
            if scalar == "@" {
                return "(value not shown)"
            }
            if scalar.properties.isAlphabetic {
                letters += 1
            }
        }
        if value.utf8.count > 32 || letters > 3 {
            return "(value not shown)"
        }
        return "\"\(value)\""
    }
}
