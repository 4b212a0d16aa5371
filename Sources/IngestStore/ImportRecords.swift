public import ClickBank

/// Where a file of a CSV upload stands, as stored in `csv_upload_files`.
public struct CSVFileProgress: Sendable, Hashable {
    public var fileName: String
    /// Bytes of the file applied, including a trailing incomplete record kept as `tail`: the next chunk
    /// starts here.
    public var receivedOffset: Int64
    public var complete: Bool
    public var rowsRead: Int64 = 0
    public var inserted: Int64 = 0
    /// Rows whose line an earlier row of the same upload (this file or another) already stored.
    public var duplicatesInImport: Int64 = 0
    /// Rows an earlier CSV import had stored.
    public var alreadyPresent: Int64 = 0
    /// Rows a webhook notification had stored; they are marked as confirmed by the CSV.
    public var alreadyFromWebhook: Int64 = 0
    public var rejected: Int64 = 0

    public init(fileName: String, receivedOffset: Int64 = 0, complete: Bool = false) {
        self.fileName = fileName
        self.receivedOffset = receivedOffset
        self.complete = complete
    }
}

/// A rejected row as stored in `csv_rejections`.
public struct CSVStoredRejection: Sendable, Hashable {
    public var fileName: String
    public var line: Int64
    public var reason: String

    public init(fileName: String, line: Int64, reason: String) {
        self.fileName = fileName
        self.line = line
        self.reason = reason
    }
}

/// An upload: its files in the order they were started and its first rejections.
public struct CSVUploadStatus: Sendable, Hashable {
    public var account: String
    public var timeZone: String
    public var files: [CSVFileProgress]
    /// The first rejections (by file order, then line), at most the number asked for.
    public var rejections: [CSVStoredRejection]
    /// Rejections counted in `files` but not in `rejections` (not listed or not stored).
    public var rejectionsNotListed: Int64

    public init(
        account: String, timeZone: String, files: [CSVFileProgress], rejections: [CSVStoredRejection],
        rejectionsNotListed: Int64
    ) {
        self.account = account
        self.timeZone = timeZone
        self.files = files
        self.rejections = rejections
        self.rejectionsNotListed = rejectionsNotListed
    }
}

/// What the parser of a chunk needs to go on where the stored file left off. Handed to the caller's
/// staging closure inside the chunk's transaction, with the file row locked.
public struct CSVFileCursor: Sendable, Hashable {
    /// Bytes of the file applied so far (`tail` included).
    public var receivedOffset: Int64
    /// The start of a record that was not complete yet, kept to be parsed with the next bytes.
    public var tail: [UInt8]
    /// The file's header, once read.
    public var header: [String]?
    /// The physical line that starts at `parsedOffset`.
    public var line: Int

    /// Where `tail` starts: every record before it is stored.
    public var parsedOffset: Int64 { self.receivedOffset - Int64(self.tail.count) }

    public init(receivedOffset: Int64, tail: [UInt8], header: [String]?, line: Int) {
        self.receivedOffset = receivedOffset
        self.tail = tail
        self.header = header
        self.line = line
    }
}

/// One chunk, parsed by the caller: the rows to merge (in COPY binary form), the rejections, and the
/// cursor to store for the next chunk.
public struct CSVStagedChunk: Sendable {
    public var rows = CSVStageBuffer()
    public var rejections: [(line: Int, reason: String)] = []
    /// Data rows completed by this chunk (accepted, duplicates and rejected).
    public var rowsRead: Int64 = 0
    /// Rows that repeat an earlier row of this same chunk (not staged).
    public var duplicatesInChunk: Int64 = 0
    /// The cursor after this chunk.
    public var next: CSVFileCursor
    /// The file ended with this chunk.
    public var complete: Bool = false

    public init(next: CSVFileCursor) {
        self.next = next
    }
}

/// The outcome of one chunk.
public struct CSVChunkResult: Sendable {
    public enum Disposition: Sendable, Hashable {
        /// The chunk's new bytes were applied in one transaction.
        case applied
        /// Everything in it was applied before (a resend); nothing changed.
        case alreadyApplied
    }

    public var disposition: Disposition
    public var progress: CSVFileProgress
    /// The file's progress before this chunk (for per-chunk counts); nil when nothing was applied.
    public var previous: CSVFileProgress? = nil
    /// The cursor stored for the next chunk; nil when nothing was applied.
    public var next: CSVFileCursor? = nil
}

/// A chunk parsed before its transaction, from the cursor the caller expects the file to have (the
/// one its previous chunk left), so that parsing it overlaps the merge of the previous chunk. Used
/// only if the stored cursor is that one and the chunk starts there; otherwise the chunk is parsed
/// again inside the transaction.
public struct CSVPrestagedChunk: Sendable {
    public var cursor: CSVFileCursor
    public var endsFile: Bool
    public var staged: CSVStagedChunk

    public init(cursor: CSVFileCursor, endsFile: Bool, staged: CSVStagedChunk) {
        self.cursor = cursor
        self.endsFile = endsFile
        self.staged = staged
    }
}

/// A chunk that starts past the bytes received so far: the caller must resend from `expectedOffset`.
public struct CSVOffsetGap: Error, Sendable, Hashable {
    public var fileName: String
    public var expectedOffset: Int64
    public var offset: Int64
}

/// An upload id already used with another account or time zone.
public struct CSVUploadMismatch: Error, Sendable, Hashable {
    public var account: String
    public var timeZone: String
}

/// One line item to stage (see `CSVStageBuffer`). The event fields are read from the first line of
/// each event (`eventFirst`), which carries the event's totals over the chunk's lines.
public struct CSVStageRow: Sendable {
    public var line: Int
    /// `EventKeys.eventBytes` of the row's event (the store's unique key of events).
    public var eventKey: [UInt8]
    public var role: String
    public var receipt: String
    public var transactionType: String
    public var timeMs: Int64
    public var itemNo: String
    public var kind: String
    public var vendor: String?
    public var affiliate: String?
    public var utcOffsetMinutes: Int
    public var currency: String?
    public var paymentMethod: String?
    public var upsellOriginalReceipt: String?
    public var productTitle: String?
    public var lineItemType: String?
    public var amount: ExactDecimal
    public var orderAmount: ExactDecimal?
    public var taxAmount: ExactDecimal?
    public var shippingAmount: ExactDecimal?
    /// JSON object of the columns the importer doesn't know, or nil.
    public var extraJSON: String?
    public var eventFirst: Bool
    public var eventAccountTotal: ExactDecimal?
    public var eventOrderTotal: ExactDecimal?
    public var eventTaxTotal: ExactDecimal?
    public var eventShippingTotal: ExactDecimal?
    /// The event's tracking code and customer (from its first row).
    public var trackingCode: String?
    public var customerFirstName: String?
    public var customerLastName: String?
    public var customerFullName: String?
    public var customerEmail: String?
    public var customerCity: String?
    public var customerState: String?
    public var customerPostalCode: String?
    public var customerCountry: String?

    public init(
        line: Int, eventKey: [UInt8], role: String, receipt: String, transactionType: String, timeMs: Int64, itemNo: String, kind: String,
        vendor: String?, affiliate: String?, utcOffsetMinutes: Int, currency: String?, paymentMethod: String?,
        upsellOriginalReceipt: String?, productTitle: String?, lineItemType: String?, amount: ExactDecimal,
        orderAmount: ExactDecimal?, taxAmount: ExactDecimal?, shippingAmount: ExactDecimal?, extraJSON: String?
    ) {
        self.line = line
        self.eventKey = eventKey
        self.role = role
        self.receipt = receipt
        self.transactionType = transactionType
        self.timeMs = timeMs
        self.itemNo = itemNo
        self.kind = kind
        self.vendor = vendor
        self.affiliate = affiliate
        self.utcOffsetMinutes = utcOffsetMinutes
        self.currency = currency
        self.paymentMethod = paymentMethod
        self.upsellOriginalReceipt = upsellOriginalReceipt
        self.productTitle = productTitle
        self.lineItemType = lineItemType
        self.amount = amount
        self.orderAmount = orderAmount
        self.taxAmount = taxAmount
        self.shippingAmount = shippingAmount
        self.extraJSON = extraJSON
        self.eventFirst = false
    }
}

/// Staging rows in COPY's binary format (no escaping, no text-to-type conversion in the database),
/// built without intermediate strings: every line for `csv_stage_lines`, and the event of each first
/// line of an event for `csv_stage_events` (two narrow tables: one wide table, its event columns
/// empty on every line but an event's first, took about half as long again to COPY in a psql
/// comparison). Column order and types = `ImportSQL.createStageLines` and
/// `ImportSQL.createStageEvents`.
public struct CSVStageBuffer: Sendable {
    private var lines = CopyTuples()
    private var events = CopyTuples()

    /// The header, then one tuple per line; `trailer` ends the data.
    public var lineBytes: [UInt8] { self.lines.bytes }
    /// The header, then one tuple per event; `trailer` ends the data.
    public var eventBytes: [UInt8] { self.events.bytes }
    /// Lines staged.
    public private(set) var count = 0
    /// Events staged.
    public private(set) var eventCount = 0

    static let lineColumns: Int16 = 10
    static let eventColumns: Int16 = 25

    public init() {}

    /// The end-of-data marker that follows `lineBytes` and `eventBytes`.
    public static let trailer: [UInt8] = [0xFF, 0xFF]

    public mutating func append(_ row: CSVStageRow) {
        self.lines.int16(Self.lineColumns)
        self.lines.int8(Int64(row.line))
        self.lines.uuid(row.eventKey)
        self.lines.text(row.itemNo)
        self.lines.text(row.productTitle)
        self.lines.text(row.lineItemType)
        self.lines.numeric(row.amount)
        self.lines.numeric(row.orderAmount)
        self.lines.numeric(row.taxAmount)
        self.lines.numeric(row.shippingAmount)
        self.lines.text(row.extraJSON)
        self.count += 1
        guard row.eventFirst else { return }
        self.events.int16(Self.eventColumns)
        self.events.uuid(row.eventKey)
        self.events.text(row.role)
        self.events.text(row.receipt)
        self.events.text(row.transactionType)
        self.events.int8(row.timeMs)
        self.events.text(row.kind)
        self.events.text(row.vendor)
        self.events.text(row.affiliate)
        self.events.int32Field(Int32(clamping: row.utcOffsetMinutes))
        self.events.text(row.currency)
        self.events.text(row.paymentMethod)
        self.events.text(row.upsellOriginalReceipt)
        self.events.numeric(row.eventAccountTotal)
        self.events.numeric(row.eventOrderTotal)
        self.events.numeric(row.eventTaxTotal)
        self.events.numeric(row.eventShippingTotal)
        self.events.text(row.trackingCode)
        self.events.text(row.customerFirstName)
        self.events.text(row.customerLastName)
        self.events.text(row.customerFullName)
        self.events.text(row.customerEmail)
        self.events.text(row.customerCity)
        self.events.text(row.customerState)
        self.events.text(row.customerPostalCode)
        self.events.text(row.customerCountry)
        self.eventCount += 1
    }
}

/// One COPY binary stream: the header, then the tuples' fields as the writers append them.
private struct CopyTuples: Sendable {
    private(set) var bytes: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00] + [0, 0, 0, 0] + [0, 0, 0, 0]

    // MARK: Fields (a 4-byte length, -1 for NULL, then the value)

    mutating func null() {
        self.int32(-1)
    }

    mutating func int8(_ value: Int64) {
        self.int32(8)
        let bits = UInt64(bitPattern: value)
        for shift in stride(from: 56, through: 0, by: -8) {
            self.bytes.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift)))
        }
    }

    mutating func int32Field(_ value: Int32) {
        self.int32(4)
        self.int32(value)
    }

    mutating func text(_ value: String?) {
        guard let value else {
            self.null()
            return
        }
        let utf8 = value.utf8
        // PostgreSQL text can't hold NUL; the CSV parser only hands on valid UTF-8, so drop it.
        guard !utf8.contains(0) else {
            let kept = utf8.filter { $0 != 0 }
            self.int32(Int32(kept.count))
            self.bytes.append(contentsOf: kept)
            return
        }
        self.int32(Int32(utf8.count))
        self.bytes.append(contentsOf: utf8)
    }

    mutating func uuid(_ bytes: [UInt8]) {
        precondition(bytes.count == 16, "an event key is 16 bytes")
        self.int32(16)
        self.bytes.append(contentsOf: bytes)
    }

    /// PostgreSQL's binary numeric: digit count, weight (of the first base-10000 digit), sign,
    /// display scale, then the base-10000 digits without leading or trailing zero digits. Computed
    /// from the units and scale with integer arithmetic (through the decimal text it was a quarter
    /// of an import's parsing time). The display scale is at least 2, as `ExactDecimal.description`
    /// writes it.
    mutating func numeric(_ value: ExactDecimal?) {
        guard let value else {
            self.null()
            return
        }
        let number = BinaryNumeric(value)
        var first = 0
        while first < number.groupCount && number.group(first) == 0 { first += 1 }
        var last = number.groupCount - 1
        while last >= first && number.group(last) == 0 { last -= 1 }
        let count = last - first + 1
        self.int32(Int32(8 + 2 * count))
        self.int16(Int16(count))
        self.int16(count == 0 ? 0 : Int16(number.integerGroups - 1 - first))
        self.int16(value.units < 0 && count > 0 ? 0x4000 : 0)
        self.int16(Int16(max(value.scale, 2)))
        if count > 0 {
            for index in first...last { self.int16(number.group(index)) }
        }
    }

    // MARK: Big-endian integers

    mutating func int16(_ value: Int16) {
        let bits = UInt16(bitPattern: value)
        self.bytes.append(UInt8(truncatingIfNeeded: bits >> 8))
        self.bytes.append(UInt8(truncatingIfNeeded: bits))
    }

    mutating func int32(_ value: Int32) {
        let bits = UInt32(bitPattern: value)
        self.bytes.append(UInt8(truncatingIfNeeded: bits >> 24))
        self.bytes.append(UInt8(truncatingIfNeeded: bits >> 16))
        self.bytes.append(UInt8(truncatingIfNeeded: bits >> 8))
        self.bytes.append(UInt8(truncatingIfNeeded: bits))
    }
}

/// An `ExactDecimal`'s magnitude as base-10000 digits aligned on the decimal point: first the
/// integer part's digits (most significant first), then the fraction's, padded with zeros to a
/// multiple of four decimal digits.
private struct BinaryNumeric {
    private static let powers: [UInt64] = (0...18).map { exponent in
        (0..<exponent).reduce(UInt64(1)) { power, _ in power * 10 }
    }

    let integer: UInt64
    let fraction: UInt64
    let scale: Int
    let integerGroups: Int
    let fractionGroups: Int

    init(_ value: ExactDecimal) {
        // ExactDecimal's scale is 0...18 (parsing and arithmetic keep it there); beyond that the
        // powers of ten below would overflow.
        precondition((0...18).contains(value.scale), "an ExactDecimal's scale is 0...18")
        let magnitude = value.units.magnitude
        let scale = value.scale
        self.scale = scale
        self.integer = magnitude / Self.powers[scale]
        self.fraction = magnitude % Self.powers[scale]
        var groups = 0
        var rest = self.integer
        while rest > 0 {
            groups += 1
            rest /= 10000
        }
        self.integerGroups = groups
        self.fractionGroups = (scale + 3) / 4
    }

    var groupCount: Int { self.integerGroups + self.fractionGroups }

    /// The base-10000 digit at `index` (0 is the most significant).
    func group(_ index: Int) -> Int16 {
        if index < self.integerGroups {
            let fromRight = self.integerGroups - 1 - index
            var rest = self.integer
            for _ in 0..<fromRight { rest /= 10000 }
            return Int16(rest % 10000)
        }
        // Fraction digits 4k+1 ... 4k+4 after the point, k = index - integerGroups.
        let end = 4 * (index - self.integerGroups + 1)
        if end <= self.scale {
            return Int16(self.fraction / Self.powers[self.scale - end] % 10000)
        }
        let start = end - 4
        let tail = self.fraction % Self.powers[self.scale - start]
        return Int16(tail * Self.powers[end - self.scale])
    }
}
