/// The rows of a statement's result, copied out of libpq's `PGresult` before it was freed.
///
/// Copying everything (as text) makes the value `Sendable` and independent of the connection, at the cost of
/// one allocation per non-NULL value; results here are small (a few rows) or consumed at once.
public struct PGResult: Sendable {
    /// Column names, in order.
    public let columns: [String]
    /// The number of rows returned.
    public let rowCount: Int
    /// Rows affected by INSERT/UPDATE/DELETE/MERGE/COPY/SELECT (`PQcmdTuples`); 0 when not applicable.
    public let affectedRows: Int
    /// The command tag, e.g. `INSERT 0 1`.
    public let commandStatus: String
    /// Values in row-major order; `nil` is SQL NULL.
    private let values: [String?]

    public init(columns: [String], rows: [[String?]], affectedRows: Int = 0, commandStatus: String = "") {
        self.columns = columns
        self.rowCount = rows.count
        self.values = rows.flatMap { row in
            precondition(row.count == columns.count, "every row needs one value per column")
            return row
        }
        self.affectedRows = affectedRows
        self.commandStatus = commandStatus
    }

    init(columns: [String], rowCount: Int, values: [String?], affectedRows: Int, commandStatus: String) {
        self.columns = columns
        self.rowCount = rowCount
        self.values = values
        self.affectedRows = affectedRows
        self.commandStatus = commandStatus
    }

    /// The number of columns.
    public var columnCount: Int {
        self.columns.count
    }

    /// The index of the column with this name, if any.
    public func columnIndex(named name: String) -> Int? {
        self.columns.firstIndex(of: name)
    }

    /// The text value at `row`, `column`; `nil` for SQL NULL. Traps when out of range, like an array.
    public subscript(row: Int, column: Int) -> String? {
        precondition(row >= 0 && row < self.rowCount, "row out of range")
        precondition(column >= 0 && column < self.columns.count, "column out of range")
        return self.values[row * self.columns.count + column]
    }

    /// The text value at `row` in the column named `column`; `nil` for SQL NULL. Traps on an unknown column.
    public subscript(row: Int, column: String) -> String? {
        guard let index = self.columnIndex(named: column) else {
            preconditionFailure("no column with that name in the result")
        }
        return self[row, index]
    }

    /// The value as `Int64`; `nil` for NULL or text that isn't an integer (a column of another type).
    public func int64(row: Int, column: Int) -> Int64? {
        self[row, column].flatMap { Int64($0) }
    }

    /// The value as `Int`; `nil` for NULL or text that isn't an integer.
    public func int(row: Int, column: Int) -> Int? {
        self[row, column].flatMap { Int($0) }
    }

    /// The value as `Double`; `nil` for NULL or non-numeric text.
    public func double(row: Int, column: Int) -> Double? {
        self[row, column].flatMap { Double($0) }
    }

    /// A `boolean` column (`t`/`f`); `nil` for NULL or other text.
    public func bool(row: Int, column: Int) -> Bool? {
        switch self[row, column] {
        case "t", "true":
            true
        case "f", "false":
            false
        default:
            nil
        }
    }

    /// A `bytea` column, decoded from the text output format (`\x` hex, or the legacy escape format);
    /// `nil` for NULL or malformed text.
    public func bytes(row: Int, column: Int) -> [UInt8]? {
        self[row, column].flatMap { Self.decodeBytea($0) }
    }

    /// Decodes PostgreSQL's text representation of `bytea`.
    static func decodeBytea(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        if utf8.count >= 2 && utf8[0] == UInt8(ascii: "\\") && utf8[1] == UInt8(ascii: "x") {
            return Self.decodeHex(utf8[2...])
        }
        return Self.decodeEscape(utf8)
    }

    private static func decodeHex(_ digits: ArraySlice<UInt8>) -> [UInt8]? {
        guard digits.count % 2 == 0 else {
            return nil
        }
        var out = [UInt8]()
        out.reserveCapacity(digits.count / 2)
        var index = digits.startIndex
        while index < digits.endIndex {
            guard let high = Self.hexValue(digits[index]), let low = Self.hexValue(digits[index + 1]) else {
                return nil
            }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"):
            c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"):
            c - UInt8(ascii: "A") + 10
        default:
            nil
        }
    }

    /// The escape format (`bytea_output = escape`): `\\` is a backslash, `\ooo` an octal byte.
    private static func decodeEscape(_ text: [UInt8]) -> [UInt8]? {
        var out = [UInt8]()
        out.reserveCapacity(text.count)
        var index = 0
        while index < text.count {
            let c = text[index]
            if c != UInt8(ascii: "\\") {
                out.append(c)
                index += 1
                continue
            }
            if index + 1 < text.count && text[index + 1] == UInt8(ascii: "\\") {
                out.append(c)
                index += 2
                continue
            }
            guard index + 3 < text.count else {
                return nil
            }
            var value = 0
            for digit in text[(index + 1)...(index + 3)] {
                guard digit >= UInt8(ascii: "0") && digit <= UInt8(ascii: "7") else {
                    return nil
                }
                value = value * 8 + Int(digit - UInt8(ascii: "0"))
            }
            guard value <= 255 else {
                return nil
            }
            out.append(UInt8(value))
            index += 4
        }
        return out
    }
}
