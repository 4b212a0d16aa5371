/// An incremental RFC 4180 parser: feed it the bytes of a file in chunks of any size and it hands out
/// each record as soon as the record is complete.
///
/// - Quoted fields may hold commas, doubled quotes (`""`) and line breaks (CRLF, LF or a lone CR, all kept).
/// - Records end at CRLF, LF or a lone CR outside quotes; empty lines are skipped (they still count as lines).
/// - A UTF-8 BOM at the very start of the file is dropped (its 3 bytes still count in offsets).
/// - Splitting the input at any byte (inside a multi-byte character, a `""` pair or a CRLF) gives exactly
///   the same records, with the same lines and offsets: every decision depends on the bytes only. A record
///   ended by a CR is handed out when the next byte (or `finish`) shows whether an LF belongs to it.
/// - Lenient where RFC 4180 is silent: a quote inside an unquoted field is kept as text, and text after a
///   closing quote is appended to the field (`"ab"c` reads `abc`), as Python's csv module does.
///
/// Memory is bounded: only the current record is held, and at most `maximumRecordBytes` of it. A record
/// whose raw bytes (quotes included, line break excluded) exceed the cap becomes a `recordTooLarge`
/// error record. The parser does not give up on the file: it keeps following quotes while it skips, and
/// starts again at the next line break outside quotes, so the following records are read normally. (If
/// that skipped record opened a quote that is never closed, the rest of the file is that one error.)
///
/// A field that is not valid UTF-8 makes its record an `invalidUTF8` error record; parsing goes on.
public struct CSVRecordParser: Sendable {
    public static let defaultMaximumRecordBytes = 1 << 20

    /// The cap on one record's raw bytes.
    public let maximumRecordBytes: Int

    /// Offset just past the last record handed out (0, or the resume offset, before any).
    public private(set) var lastRecordEndOffset: Int64
    /// The physical line that starts at `lastRecordEndOffset`.
    public private(set) var lineAfterLastRecord: Int

    private enum State: Sendable {
        /// Between records: a line break here is an empty line.
        case recordStart
        case fieldStart
        case unquoted
        case quoted
        /// A CR inside quotes: an LF right after it is part of the same line break.
        case quotedAfterCR
        /// A quote inside a quoted field: either half of `""` or the closing quote.
        case quoteInQuoted
        /// A CR outside quotes ended a line; an LF right after it belongs to the same line break.
        case afterCR
    }

    private var state: State = .recordStart
    /// File offset of the next byte to be consumed.
    private var offset: Int64
    /// Physical line of the next byte.
    private var line: Int
    private var recordLine = 0
    private var recordStart: Int64 = 0
    /// Offset of the byte that ended the record (the line break), so the cap ignores the break.
    private var recordRawEnd: Int64 = 0
    /// In `afterCR`: whether the CR ended a record (true) or an empty line (false).
    private var pendingRecord = false
    /// The current record's unescaped field bytes, all fields back to back.
    private var bytes: [UInt8] = []
    /// End index in `bytes` of each completed field of the current record.
    private var fieldEnds: [Int] = []
    /// The first bytes of the file while it is not yet known whether they are a BOM; nil once known.
    private var bomProbe: [UInt8]?

    private static let quote = UInt8(ascii: "\"")
    private static let comma = UInt8(ascii: ",")
    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")
    private static let bom: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// A parser for a file read from its first byte.
    public init(maximumRecordBytes: Int = CSVRecordParser.defaultMaximumRecordBytes) {
        self.maximumRecordBytes = max(1, maximumRecordBytes)
        self.offset = 0
        self.line = 1
        self.lastRecordEndOffset = 0
        self.lineAfterLastRecord = 1
        self.bomProbe = []
    }

    /// A parser for the rest of a file, from a record boundary reached earlier (`lastRecordEndOffset`
    /// and `lineAfterLastRecord` of a previous parser), so offsets and lines stay those of the whole file.
    public init(
        maximumRecordBytes: Int = CSVRecordParser.defaultMaximumRecordBytes,
        resumingAtOffset offset: Int64,
        line: Int
    ) {
        self.maximumRecordBytes = max(1, maximumRecordBytes)
        self.offset = offset
        self.line = line
        self.lastRecordEndOffset = offset
        self.lineAfterLastRecord = line
        // A BOM is only meaningful at offset 0.
        self.bomProbe = offset == 0 ? [] : nil
    }

    /// Consumes the next bytes of the file, calling `body` for every record they complete.
    /// If `body` throws, the parser has stopped in the middle of the chunk: don't feed it again.
    public mutating func feed(_ chunk: some Collection<UInt8>, into body: (CSVRecord) throws -> Void) rethrows {
        // One copy into an array (a memcpy for contiguous input) lets the hot loop index plain memory.
        let buffer = Array(chunk)
        var start = 0
        if var probe = self.bomProbe {
            while probe.count < 3, start < buffer.count, probe[...] == Self.bom[..<probe.count] {
                probe.append(buffer[start])
                start += 1
            }
            if probe == Self.bom {
                self.bomProbe = nil
                self.offset += 3
            } else if probe[...] == Self.bom[..<probe.count] {
                // Still a possible BOM: wait for more bytes.
                self.bomProbe = probe
                return
            } else {
                self.bomProbe = nil
                try self.process(probe, from: 0, body)
            }
        }
        try self.process(buffer, from: start, body)
    }

    /// Consumes the next bytes of the file and returns the records they complete.
    public mutating func feed(_ chunk: some Collection<UInt8>) -> [CSVRecord] {
        var records: [CSVRecord] = []
        self.feed(chunk) { records.append($0) }
        return records
    }

    /// Ends the file: hands out a last record without a final line break, or an `unterminatedQuote`
    /// error record for a file that ends inside quotes. The parser then expects a new file.
    public mutating func finish(into body: (CSVRecord) throws -> Void) rethrows {
        if let probe = self.bomProbe {
            // A file shorter than a BOM that began like one.
            self.bomProbe = nil
            try self.process(probe, from: 0, body)
        }
        let state = self.state
        self.state = .recordStart
        switch state {
        case .recordStart:
            break
        case .afterCR:
            if self.pendingRecord {
                try self.emit(endOffset: self.offset, body)
            }
        case .fieldStart, .unquoted, .quoteInQuoted:
            self.pushField()
            self.recordRawEnd = self.offset
            try self.emit(endOffset: self.offset, body)
        case .quoted, .quotedAfterCR:
            self.recordRawEnd = self.offset
            try self.emit(endOffset: self.offset, failure: CSVRecordError(code: .unterminatedQuote), body)
        }
        self.bomProbe = []
        self.offset = 0
        self.line = 1
    }

    /// Ends the file and returns the last record, if any.
    public mutating func finish() -> [CSVRecord] {
        var records: [CSVRecord] = []
        self.finish { records.append($0) }
        return records
    }

    // MARK: - The state machine

    private mutating func process(_ buffer: [UInt8], from start: Int, _ body: (CSVRecord) throws -> Void) rethrows {
        // File offset of buffer[0].
        let base = self.offset - Int64(start)
        let count = buffer.count
        var index = start
        while index < count {
            let byte = buffer[index]
            switch self.state {
            case .recordStart:
                if byte == Self.lf {
                    self.line += 1
                    index += 1
                } else if byte == Self.cr {
                    self.line += 1
                    self.pendingRecord = false
                    self.state = .afterCR
                    index += 1
                } else {
                    self.recordLine = self.line
                    self.recordStart = base + Int64(index)
                    self.state = .fieldStart  // and look at the same byte again
                }

            case .fieldStart:
                if byte == Self.quote {
                    self.state = .quoted
                    index += 1
                } else if byte == Self.comma {
                    self.pushField()
                    index += 1
                } else if byte == Self.lf || byte == Self.cr {
                    try self.endRecord(terminator: byte, at: base + Int64(index), body)
                    index += 1
                } else {
                    self.state = .unquoted  // and look at the same byte again
                }

            case .unquoted:
                // Copy the whole run up to the next delimiter at once: the common case by far.
                var end = index
                while end < count {
                    let next = buffer[end]
                    if next == Self.comma || next == Self.lf || next == Self.cr {
                        break
                    }
                    end += 1
                }
                self.appendBytes(buffer[index..<end])
                index = end
                if end < count {
                    if buffer[end] == Self.comma {
                        self.pushField()
                        self.state = .fieldStart
                    } else {
                        try self.endRecord(terminator: buffer[end], at: base + Int64(end), body)
                    }
                    index += 1
                }

            case .quoted:
                var end = index
                while end < count {
                    let next = buffer[end]
                    if next == Self.quote || next == Self.cr {
                        break
                    }
                    if next == Self.lf {
                        self.line += 1
                    }
                    end += 1
                }
                self.appendBytes(buffer[index..<end])
                index = end
                if end < count {
                    if buffer[end] == Self.quote {
                        self.state = .quoteInQuoted
                    } else {
                        self.appendBytes(CollectionOfOne(Self.cr))
                        self.line += 1
                        self.state = .quotedAfterCR
                    }
                    index += 1
                }

            case .quotedAfterCR:
                self.state = .quoted
                if byte == Self.lf {
                    // Second half of a CRLF: same line break, already counted.
                    self.appendBytes(CollectionOfOne(Self.lf))
                    index += 1
                }

            case .quoteInQuoted:
                if byte == Self.quote {
                    self.appendBytes(CollectionOfOne(Self.quote))
                    self.state = .quoted
                    index += 1
                } else if byte == Self.comma {
                    self.pushField()
                    self.state = .fieldStart
                    index += 1
                } else if byte == Self.lf || byte == Self.cr {
                    try self.endRecord(terminator: byte, at: base + Int64(index), body)
                    index += 1
                } else {
                    self.state = .unquoted  // lenient: text after the closing quote joins the field
                }

            case .afterCR:
                self.state = .recordStart
                if byte == Self.lf {
                    index += 1
                    if self.pendingRecord {
                        try self.emit(endOffset: base + Int64(index), body)
                    }
                } else if self.pendingRecord {
                    // A lone CR ended the record; this byte starts the next line.
                    try self.emit(endOffset: base + Int64(index), body)
                }
            }
        }
        self.offset = base + Int64(count)
    }

    private mutating func endRecord(
        terminator: UInt8,
        at position: Int64,
        _ body: (CSVRecord) throws -> Void
    ) rethrows {
        self.pushField()
        self.recordRawEnd = position
        self.line += 1
        if terminator == Self.lf {
            self.state = .recordStart
            try self.emit(endOffset: position + 1, body)
        } else {
            self.pendingRecord = true
            self.state = .afterCR
        }
    }

    /// Keeps at most the cap of bytes: past it the record is an error anyway (its raw length is larger
    /// still), so what is dropped is never needed.
    private mutating func appendBytes(_ run: some Collection<UInt8>) {
        let room = self.maximumRecordBytes - self.bytes.count
        if room <= 0 || run.isEmpty {
            return
        }
        if run.count <= room {
            self.bytes.append(contentsOf: run)
        } else {
            self.bytes.append(contentsOf: run.prefix(room))
        }
    }

    private mutating func pushField() {
        // A record within the cap has at most cap + 1 fields (one more than its commas).
        if self.fieldEnds.count <= self.maximumRecordBytes {
            self.fieldEnds.append(self.bytes.count)
        }
    }

    private mutating func emit(
        endOffset: Int64,
        failure: CSVRecordError? = nil,
        _ body: (CSVRecord) throws -> Void
    ) rethrows {
        let content: CSVRecord.Content
        if let failure {
            content = .failure(failure)
        } else if self.recordRawEnd - self.recordStart > Int64(self.maximumRecordBytes) {
            content = .failure(CSVRecordError(code: .recordTooLarge, limit: self.maximumRecordBytes))
        } else {
            content = self.decodeFields()
        }
        let record = CSVRecord(
            content: content,
            line: self.recordLine,
            startOffset: self.recordStart,
            endOffset: endOffset,
            lineAfter: self.line
        )
        self.bytes.removeAll(keepingCapacity: true)
        self.fieldEnds.removeAll(keepingCapacity: true)
        self.pendingRecord = false
        self.lastRecordEndOffset = endOffset
        self.lineAfterLastRecord = self.line
        try body(record)
    }

    private func decodeFields() -> CSVRecord.Content {
        var fields: [String] = []
        fields.reserveCapacity(self.fieldEnds.count)
        var start = 0
        if #available(macOS 26, *) {
            // Validating through a Span is non-generic: `String(validating:as:)` is generic over the encoding,
            // isn't specialised, and spent more time in runtime metadata look-ups than in parsing.
            let span = self.bytes.span
            for (index, end) in self.fieldEnds.enumerated() {
                guard let utf8 = try? UTF8Span(validating: span.extracting(start..<end)) else {
                    return .failure(CSVRecordError(code: .invalidUTF8, fieldIndex: index))
                }
                fields.append(String(copying: utf8))
                start = end
            }
            return .fields(fields)
        }
        for (index, end) in self.fieldEnds.enumerated() {
            guard let field = String(validating: self.bytes[start..<end], as: UTF8.self) else {
                return .failure(CSVRecordError(code: .invalidUTF8, fieldIndex: index))
            }
            fields.append(field)
            start = end
        }
        return .fields(fields)
    }
}
