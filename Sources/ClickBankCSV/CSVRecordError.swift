/// Why one CSV record could not be read. The message never contains the record's bytes: they may hold
/// customer data.
public struct CSVRecordError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: Sendable, Hashable {
        /// A field is not valid UTF-8.
        case invalidUTF8
        /// The record is longer than the parser's cap (its bytes were skipped, not kept).
        case recordTooLarge
        /// The file ends inside a quoted field.
        case unterminatedQuote
    }

    public var code: Code
    /// 0-based field index, for `invalidUTF8`.
    public var fieldIndex: Int?
    /// The cap in bytes, for `recordTooLarge`.
    public var limit: Int?

    public init(code: Code, fieldIndex: Int? = nil, limit: Int? = nil) {
        self.code = code
        self.fieldIndex = fieldIndex
        self.limit = limit
    }

    public var description: String {
        switch self.code {
        case .invalidUTF8:
            return "field \((self.fieldIndex ?? 0) + 1) is not valid UTF-8 (export the file as UTF-8)"
        case .recordTooLarge:
            return "record is longer than \(self.limit ?? 0) bytes (an unbalanced quote can cause this)"
        case .unterminatedQuote:
            return "file ends inside a quoted field (a closing \" is missing)"
        }
    }
}
