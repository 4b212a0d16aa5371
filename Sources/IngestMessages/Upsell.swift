internal import IngestProtoC

public struct Upsell: WireMessage {
    public static let protoName = "clickbank.ingest.v1.Upsell"

    public var originalReceipt: String = ""
    public var flowId: String = ""
    public var session: String = ""
    public var path: String = ""

    public init() {}

    public init(originalReceipt: String = "", flowId: String = "", session: String = "", path: String = "") {
        self.originalReceipt = originalReceipt
        self.flowId = flowId
        self.session = session
        self.path = path
    }
}

extension Upsell: CBackedMessage {
    typealias CMessage = Clickbank__Ingest__V1__Upsell

    static func cInit(_ message: UnsafeMutablePointer<CMessage>) {
        clickbank__ingest__v1__upsell__init(message)
    }

    static func cUnpack(_ count: Int, _ bytes: UnsafePointer<UInt8>?) -> UnsafeMutablePointer<CMessage>? {
        clickbank__ingest__v1__upsell__unpack(nil, count, bytes)
    }

    init(c message: CMessage) {
        self.originalReceipt = swiftString(message.original_receipt)
        self.flowId = swiftString(message.flow_id)
        self.session = swiftString(message.session)
        self.path = swiftString(message.path)
    }

    func fill(_ message: inout CMessage, _ arena: inout Arena) {
        message.original_receipt = arena.string(self.originalReceipt)
        message.flow_id = arena.string(self.flowId)
        message.session = arena.string(self.session)
        message.path = arena.string(self.path)
    }
}
