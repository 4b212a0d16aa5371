internal import IngestProtoC

public struct ImportCSVResponse: WireMessage {
    public static let protoName = "clickbank.ingest.v1.ImportCSVResponse"

    public var uploadId: String = ""
    /// The file the reply is about.
    public var fileName: String = ""
    /// How many bytes of `fileName` are durably applied.
    public var committedOffset: UInt64 = 0
    public var files: [FileSummary] = []
    public var rowsRead: UInt64 = 0
    public var inserted: UInt64 = 0
    public var duplicatesInImport: UInt64 = 0
    public var alreadyPresent: UInt64 = 0
    public var alreadyFromWebhook: UInt64 = 0
    public var rejected: UInt64 = 0
    public var rejections: [RejectedRow] = []
    public var rejectionsNotListed: UInt64 = 0
    public var final: Bool = false
    public var error: CallError?

    public init() {}

    public init(
        uploadId: String = "", fileName: String = "", committedOffset: UInt64 = 0, files: [FileSummary] = [],
        rowsRead: UInt64 = 0, inserted: UInt64 = 0, duplicatesInImport: UInt64 = 0, alreadyPresent: UInt64 = 0,
        alreadyFromWebhook: UInt64 = 0, rejected: UInt64 = 0, rejections: [RejectedRow] = [],
        rejectionsNotListed: UInt64 = 0, final: Bool = false, error: CallError? = nil
    ) {
        self.uploadId = uploadId
        self.fileName = fileName
        self.committedOffset = committedOffset
        self.files = files
        self.rowsRead = rowsRead
        self.inserted = inserted
        self.duplicatesInImport = duplicatesInImport
        self.alreadyPresent = alreadyPresent
        self.alreadyFromWebhook = alreadyFromWebhook
        self.rejected = rejected
        self.rejections = rejections
        self.rejectionsNotListed = rejectionsNotListed
        self.final = final
        self.error = error
    }
}

extension ImportCSVResponse: CBackedMessage {
    typealias CMessage = Clickbank__Ingest__V1__ImportCSVResponse

    static func cInit(_ message: UnsafeMutablePointer<CMessage>) {
        clickbank__ingest__v1__import_csvresponse__init(message)
    }

    static func cUnpack(_ count: Int, _ bytes: UnsafePointer<UInt8>?) -> UnsafeMutablePointer<CMessage>? {
        clickbank__ingest__v1__import_csvresponse__unpack(nil, count, bytes)
    }

    init(c message: CMessage) {
        self.uploadId = swiftString(message.upload_id)
        self.fileName = swiftString(message.file_name)
        self.committedOffset = message.committed_offset
        self.files = swiftMessages(message.n_files, message.files)
        self.rowsRead = message.rows_read
        self.inserted = message.inserted
        self.duplicatesInImport = message.duplicates_in_import
        self.alreadyPresent = message.already_present
        self.alreadyFromWebhook = message.already_from_webhook
        self.rejected = message.rejected
        self.rejections = swiftMessages(message.n_rejections, message.rejections)
        self.rejectionsNotListed = message.rejections_not_listed
        self.final = message.final != 0
        self.error = swiftMessage(message.error)
    }

    func fill(_ message: inout CMessage, _ arena: inout Arena) {
        message.upload_id = arena.string(self.uploadId)
        message.file_name = arena.string(self.fileName)
        message.committed_offset = self.committedOffset
        (message.n_files, message.files) = arena.messages(self.files)
        message.rows_read = self.rowsRead
        message.inserted = self.inserted
        message.duplicates_in_import = self.duplicatesInImport
        message.already_present = self.alreadyPresent
        message.already_from_webhook = self.alreadyFromWebhook
        message.rejected = self.rejected
        (message.n_rejections, message.rejections) = arena.messages(self.rejections)
        message.rejections_not_listed = self.rejectionsNotListed
        message.final = cBool(self.final)
        message.error = arena.message(self.error)
    }
}
