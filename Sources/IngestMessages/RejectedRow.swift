internal import IngestProtoC

public struct RejectedRow: WireMessage {
    public static let protoName = "clickbank.ingest.v1.RejectedRow"

    public var fileName: String = ""
    public var line: UInt64 = 0
    public var reason: String = ""

    public init() {}

    public init(fileName: String = "", line: UInt64 = 0, reason: String = "") {
        self.fileName = fileName
        self.line = line
        self.reason = reason
    }
}

extension RejectedRow: CBackedMessage {
    typealias CMessage = Clickbank__Ingest__V1__RejectedRow

    static func cInit(_ message: UnsafeMutablePointer<CMessage>) {
        clickbank__ingest__v1__rejected_row__init(message)
    }

    static func cUnpack(_ count: Int, _ bytes: UnsafePointer<UInt8>?) -> UnsafeMutablePointer<CMessage>? {
        clickbank__ingest__v1__rejected_row__unpack(nil, count, bytes)
    }

    init(c message: CMessage) {
        self.fileName = swiftString(message.file_name)
        self.line = message.line
        self.reason = swiftString(message.reason)
    }

    func fill(_ message: inout CMessage, _ arena: inout Arena) {
        message.file_name = arena.string(self.fileName)
        message.line = self.line
        message.reason = arena.string(self.reason)
    }
}
