/// One record of a CSV file as the parser found it: its fields, or why they could not be read.
///
/// Offsets and line numbers are those of the whole file (a UTF-8 BOM counts as 3 bytes), so a caller can
/// commit `endOffset` of the last record it handled and resume an interrupted upload from exactly there.
public struct CSVRecord: Sendable, Hashable {
    /// The fields, or the error that makes this one record unreadable. An error record is still a
    /// complete record: parsing goes on after it.
    public enum Content: Sendable, Hashable {
        case fields([String])
        case failure(CSVRecordError)
    }

    public var content: Content
    /// 1-based physical line on which the record starts (quoted line breaks count as lines).
    public var line: Int
    /// Byte offset of the record's first byte in the file.
    public var startOffset: Int64
    /// Byte offset just past the record, including its line break (CRLF, LF or CR) when it has one.
    public var endOffset: Int64
    /// The physical line that starts at `endOffset` (where a parser resuming there would count from).
    public var lineAfter: Int

    public init(content: Content, line: Int, startOffset: Int64, endOffset: Int64, lineAfter: Int) {
        self.content = content
        self.line = line
        self.startOffset = startOffset
        self.endOffset = endOffset
        self.lineAfter = lineAfter
    }

    /// The fields, or nil for an error record.
    public var fields: [String]? {
        if case .fields(let fields) = self.content {
            return fields
        }
        return nil
    }

    /// The error, or nil when the record was read.
    public var failure: CSVRecordError? {
        if case .failure(let error) = self.content {
            return error
        }
        return nil
    }
}
