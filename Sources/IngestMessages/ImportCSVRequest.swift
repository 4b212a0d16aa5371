internal import CProtobufC
internal import IngestProtoC

/// One chunk of a CSV upload.
public struct ImportCSVRequest: WireMessage {
    public static let protoName = "clickbank.ingest.v1.ImportCSVRequest"

    /// Chosen by the client (for example a UUID); names the import across reconnects.
    public var uploadId: String = ""
    public var tenantId: String = ""
    public var account: String = ""
    /// The file this chunk belongs to; files of one import are sent one after another.
    public var fileName: String = ""
    /// Byte offset of `data` within the file; a chunk below the committed offset is skipped.
    public var offset: UInt64 = 0
    public var data: [UInt8] = []
    /// This chunk ends the file.
    public var lastChunk: Bool = false
    /// IANA time zone of the export's dates; empty = America/Los_Angeles.
    public var timeZone: String = ""
    /// Ask where the upload stands without sending data.
    public var statusOnly: Bool = false

    public init() {}

    public init(
        uploadId: String = "", tenantId: String = "", account: String = "", fileName: String = "", offset: UInt64 = 0,
        data: [UInt8] = [], lastChunk: Bool = false, timeZone: String = "", statusOnly: Bool = false
    ) {
        self.uploadId = uploadId
        self.tenantId = tenantId
        self.account = account
        self.fileName = fileName
        self.offset = offset
        self.data = data
        self.lastChunk = lastChunk
        self.timeZone = timeZone
        self.statusOnly = statusOnly
    }
}

extension ImportCSVRequest: CBackedMessage {
    typealias CMessage = Clickbank__Ingest__V1__ImportCSVRequest

    static func cInit(_ message: UnsafeMutablePointer<CMessage>) {
        clickbank__ingest__v1__import_csvrequest__init(message)
    }

    static func cUnpack(_ count: Int, _ bytes: UnsafePointer<UInt8>?) -> UnsafeMutablePointer<CMessage>? {
        clickbank__ingest__v1__import_csvrequest__unpack(nil, count, bytes)
    }

    init(c message: CMessage) {
        self.uploadId = swiftString(message.upload_id)
        self.tenantId = swiftString(message.tenant_id)
        self.account = swiftString(message.account)
        self.fileName = swiftString(message.file_name)
        self.offset = message.offset
        self.data = swiftBytes(message.data)
        self.lastChunk = message.last_chunk != 0
        self.timeZone = swiftString(message.time_zone)
        self.statusOnly = message.status_only != 0
    }

    func fill(_ message: inout CMessage, _ arena: inout Arena) {
        message.upload_id = arena.string(self.uploadId)
        message.tenant_id = arena.string(self.tenantId)
        message.account = arena.string(self.account)
        message.file_name = arena.string(self.fileName)
        message.offset = self.offset
        arena.bytes(self.data, into: &message.data)
        message.last_chunk = cBool(self.lastChunk)
        message.time_zone = arena.string(self.timeZone)
        message.status_only = cBool(self.statusOnly)
    }

    func withBorrowedBytes<R>(_ message: UnsafeMutablePointer<CMessage>, _ body: () -> R) -> R {
        withBinaryData(self.data) { borrowed in
            message.pointee.data = borrowed
            return body()
        }
    }
}
