/// Why a file can't be imported at all: it is refused before any row is read.
public struct CSVImportError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: Sendable, Hashable {
        /// Required columns are absent; `missingColumns` names every one of them.
        case missingColumns
        /// The header record itself could not be read (invalid UTF-8, unterminated quote, too long).
        case unreadableHeader
        /// The file has no header record at all.
        case emptyFile
        /// The configured time zone is not a known IANA zone.
        case unknownTimeZone
        /// An earlier call failed or its row handler threw: continue with a new stream from `resumePoint`.
        case stopped
    }

    public var code: Code
    /// Expected names of the missing required columns, in a stable order.
    public var missingColumns: [String]
    /// For `unreadableHeader`: what was wrong with the record.
    public var recordError: CSVRecordError?
    /// For `unknownTimeZone`: the identifier given.
    public var timeZoneIdentifier: String?

    public init(
        code: Code,
        missingColumns: [String] = [],
        recordError: CSVRecordError? = nil,
        timeZoneIdentifier: String? = nil
    ) {
        self.code = code
        self.missingColumns = missingColumns
        self.recordError = recordError
        self.timeZoneIdentifier = timeZoneIdentifier
    }

    public var description: String {
        switch self.code {
        case .missingColumns:
            let names = self.missingColumns.map { "\"\($0)\"" }.joined(separator: ", ")
            let plural = self.missingColumns.count == 1 ? "" : "s"
            return "the header lacks required column\(plural) \(names) (a Transactions export is expected)"
        case .unreadableHeader:
            return "the header line can't be read: \(self.recordError?.description ?? "unknown error")"
        case .emptyFile:
            return "the file is empty: a Transactions export starts with a header line"
        case .unknownTimeZone:
            return "\"\(self.timeZoneIdentifier ?? "")\" is not an IANA time zone (e.g. America/Los_Angeles)"
        case .stopped:
            return "the import stopped after an earlier error; resume it from its last committed offset"
        }
    }
}
