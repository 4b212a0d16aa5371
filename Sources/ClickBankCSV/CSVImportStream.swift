/// A whole Transactions export, fed in chunks as they arrive: the header first, then typed rows.
///
/// ```swift
/// var stream = try CSVImportStream()
/// for try await chunk in upload {
///     try stream.feed(chunk) { transaction in try store.add(transaction) }
///     try await commit(stream.committableOffset)   // or save stream.resumePoint
/// }
/// try stream.finish { transaction in try store.add(transaction) }
/// ```
///
/// A missing required column stops the import with one `CSVImportError` naming them all, before any row.
/// A bad row is counted and listed (up to `maximumListedRejections`) and the import goes on. Duplicate
/// rows are handed on like any other: removing them is the store's job (their `identity` is equal).
public struct CSVImportStream: Sendable {
    public let configuration: CSVImportConfiguration
    /// Known once the header has been read.
    public private(set) var columns: TransactionColumns?
    /// The offset just past the last record fully handled (the header, a delivered row or a rejected
    /// one): everything before it never needs to be sent again.
    public private(set) var committableOffset: Int64
    /// Data rows seen: accepted plus rejected (the header and blank lines are not rows).
    public private(set) var rowsRead = 0
    public private(set) var rowsAccepted = 0
    public private(set) var rowsRejected = 0
    /// The first `maximumListedRejections` rejections, in file order.
    public private(set) var rejections: [CSVRowRejection] = []

    private var parser: CSVRecordParser
    private var mapper: CSVTransactionMapper?
    /// The physical line that starts at `committableOffset`.
    private var committedLine: Int
    private var stopped = false

    /// A stream for a file read from its first byte.
    public init(configuration: CSVImportConfiguration = .init()) throws(CSVImportError) {
        // Check the zone now rather than after the header has been uploaded.
        guard ZoneClock(identifier: configuration.timeZoneIdentifier) != nil else {
            throw CSVImportError(code: .unknownTimeZone, timeZoneIdentifier: configuration.timeZoneIdentifier)
        }
        self.configuration = configuration
        self.parser = CSVRecordParser(maximumRecordBytes: configuration.maximumRecordBytes)
        self.committableOffset = 0
        self.committedLine = 1
    }

    /// A stream for the rest of a file, from a `resumePoint` saved by an earlier stream. Counts and
    /// rejections start again from zero; offsets and lines are those of the whole file.
    public init(configuration: CSVImportConfiguration = .init(), resumingFrom point: CSVResumePoint) throws(CSVImportError) {
        let columns = try TransactionColumns(header: point.header)
        self.configuration = configuration
        self.columns = columns
        self.mapper = try CSVTransactionMapper(columns: columns, configuration: configuration)
        self.parser = CSVRecordParser(
            maximumRecordBytes: configuration.maximumRecordBytes,
            resumingAtOffset: point.offset,
            line: point.line
        )
        self.committableOffset = point.offset
        self.committedLine = point.line
    }

    /// Rejections counted but not kept in `rejections`.
    public var rejectionsNotListed: Int {
        self.rowsRejected - self.rejections.count
    }

    /// What to save to resume after `committableOffset`; nil before the header has been read.
    public var resumePoint: CSVResumePoint? {
        self.columns.map { CSVResumePoint(offset: self.committableOffset, line: self.committedLine, header: $0.header) }
    }

    /// Reads the next bytes of the file and calls `body` with each row they complete.
    ///
    /// Throws `CSVImportError` for a header that can't be used, or what `body` throws. After a throw the
    /// stream is stopped (later calls throw `.stopped`); `committableOffset` and `resumePoint` are still
    /// right, so a new stream can resume from there.
    public mutating func feed(_ chunk: some Collection<UInt8>, into body: (CSVTransaction) throws -> Void) throws {
        guard !self.stopped else {
            throw CSVImportError(code: .stopped)
        }
        // The parser is taken out of `self` while it runs, so that the record handler may change `self`.
        var parser = self.takeParser()
        defer { self.parser = parser }
        do {
            try parser.feed(chunk) { record in
                try self.handle(record, body)
            }
        } catch {
            self.stopped = true
            throw error
        }
    }

    /// Ends the file: delivers a last row without a line break, rejects an unterminated quoted one, and
    /// throws `.emptyFile` if no header was ever seen. The stream is then stopped.
    public mutating func finish(into body: (CSVTransaction) throws -> Void) throws {
        guard !self.stopped else {
            throw CSVImportError(code: .stopped)
        }
        self.stopped = true
        var parser = self.takeParser()
        defer { self.parser = parser }
        try parser.finish { record in
            try self.handle(record, body)
        }
        if self.columns == nil {
            throw CSVImportError(code: .emptyFile)
        }
    }

    private mutating func takeParser() -> CSVRecordParser {
        var parser = CSVRecordParser(maximumRecordBytes: 1)
        swap(&parser, &self.parser)
        return parser
    }

    private mutating func handle(_ record: CSVRecord, _ body: (CSVTransaction) throws -> Void) throws {
        guard self.mapper != nil else {
            let columns = try TransactionColumns(headerRecord: record)
            self.mapper = try CSVTransactionMapper(columns: columns, configuration: self.configuration)
            self.columns = columns
            self.commit(record)
            return
        }
        switch self.mapper?.map(record) {
        case .success(let transaction):
            // Counted and committed only once the caller has taken the row.
            try body(transaction)
            self.rowsRead += 1
            self.rowsAccepted += 1
        case .failure(let rejection):
            self.rowsRead += 1
            self.rowsRejected += 1
            if self.rejections.count < self.configuration.maximumListedRejections {
                self.rejections.append(rejection)
            }
        case nil:
            break
        }
        self.commit(record)
    }

    private mutating func commit(_ record: CSVRecord) {
        self.committableOffset = record.endOffset
        self.committedLine = record.lineAfter
    }
}
