internal import IngestProtoC

public struct FileSummary: WireMessage {
    public static let protoName = "clickbank.ingest.v1.FileSummary"

    public var fileName: String = ""
    public var committedOffset: UInt64 = 0
    public var complete: Bool = false
    public var rowsRead: UInt64 = 0
    public var inserted: UInt64 = 0
    public var duplicatesInImport: UInt64 = 0
    public var alreadyPresent: UInt64 = 0
    public var alreadyFromWebhook: UInt64 = 0
    public var rejected: UInt64 = 0

    public init() {}

    public init(
        fileName: String = "", committedOffset: UInt64 = 0, complete: Bool = false, rowsRead: UInt64 = 0,
        inserted: UInt64 = 0, duplicatesInImport: UInt64 = 0, alreadyPresent: UInt64 = 0,
        alreadyFromWebhook: UInt64 = 0, rejected: UInt64 = 0
    ) {
        self.fileName = fileName
        self.committedOffset = committedOffset
        self.complete = complete
        self.rowsRead = rowsRead
        self.inserted = inserted
        self.duplicatesInImport = duplicatesInImport
        self.alreadyPresent = alreadyPresent
        self.alreadyFromWebhook = alreadyFromWebhook
        self.rejected = rejected
    }
}

extension FileSummary: CBackedMessage {
    typealias CMessage = Clickbank__Ingest__V1__FileSummary

    static func cInit(_ message: UnsafeMutablePointer<CMessage>) {
        clickbank__ingest__v1__file_summary__init(message)
    }

    static func cUnpack(_ count: Int, _ bytes: UnsafePointer<UInt8>?) -> UnsafeMutablePointer<CMessage>? {
        clickbank__ingest__v1__file_summary__unpack(nil, count, bytes)
    }

    init(c message: CMessage) {
        self.fileName = swiftString(message.file_name)
        self.committedOffset = message.committed_offset
        self.complete = message.complete != 0
        self.rowsRead = message.rows_read
        self.inserted = message.inserted
        self.duplicatesInImport = message.duplicates_in_import
        self.alreadyPresent = message.already_present
        self.alreadyFromWebhook = message.already_from_webhook
        self.rejected = message.rejected
    }

    func fill(_ message: inout CMessage, _ arena: inout Arena) {
        message.file_name = arena.string(self.fileName)
        message.committed_offset = self.committedOffset
        message.complete = cBool(self.complete)
        message.rows_read = self.rowsRead
        message.inserted = self.inserted
        message.duplicates_in_import = self.duplicatesInImport
        message.already_present = self.alreadyPresent
        message.already_from_webhook = self.alreadyFromWebhook
        message.rejected = self.rejected
    }
}
