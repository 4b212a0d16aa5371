internal import CProtobufC
internal import IngestProtoC

public struct VerifyIPNRequest: WireMessage {
    public static let protoName = "clickbank.ingest.v1.VerifyIPNRequest"

    /// The token from the webhook URL; or, instead, tenantId + account.
    public var token: String = ""
    public var tenantId: String = ""
    public var account: String = ""
    /// The exact raw HTTP body bytes as received.
    public var body: [UInt8] = []
    public var contentType: String = ""
    /// When the gateway received the body (Unix ms); 0 = now.
    public var receivedAtMs: Int64 = 0
    /// Leave `notification` out of the response (for callers that only need the verdict).
    public var omitNotification: Bool = false

    public init() {}

    public init(
        token: String = "", tenantId: String = "", account: String = "", body: [UInt8] = [], contentType: String = "",
        receivedAtMs: Int64 = 0, omitNotification: Bool = false
    ) {
        self.token = token
        self.tenantId = tenantId
        self.account = account
        self.body = body
        self.contentType = contentType
        self.receivedAtMs = receivedAtMs
        self.omitNotification = omitNotification
    }
}

extension VerifyIPNRequest: CBackedMessage {
    typealias CMessage = Clickbank__Ingest__V1__VerifyIPNRequest

    static func cInit(_ message: UnsafeMutablePointer<CMessage>) {
        clickbank__ingest__v1__verify_ipnrequest__init(message)
    }

    static func cUnpack(_ count: Int, _ bytes: UnsafePointer<UInt8>?) -> UnsafeMutablePointer<CMessage>? {
        clickbank__ingest__v1__verify_ipnrequest__unpack(nil, count, bytes)
    }

    init(c message: CMessage) {
        self.token = swiftString(message.token)
        self.tenantId = swiftString(message.tenant_id)
        self.account = swiftString(message.account)
        self.body = swiftBytes(message.body)
        self.contentType = swiftString(message.content_type)
        self.receivedAtMs = message.received_at_ms
        self.omitNotification = message.omit_notification != 0
    }

    func fill(_ message: inout CMessage, _ arena: inout Arena) {
        message.token = arena.string(self.token)
        message.tenant_id = arena.string(self.tenantId)
        message.account = arena.string(self.account)
        arena.bytes(self.body, into: &message.body)
        message.content_type = arena.string(self.contentType)
        message.received_at_ms = self.receivedAtMs
        message.omit_notification = self.omitNotification ? 1 : 0
    }

    func withBorrowedBytes<R>(_ message: UnsafeMutablePointer<CMessage>, _ body: () -> R) -> R {
        withBinaryData(self.body) { borrowed in
            message.pointee.body = borrowed
            return body()
        }
    }
}
