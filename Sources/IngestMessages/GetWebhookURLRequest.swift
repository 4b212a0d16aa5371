internal import IngestProtoC

public struct GetWebhookURLRequest: WireMessage {
    public static let protoName = "clickbank.ingest.v1.GetWebhookURLRequest"

    public var tenantId: String = ""
    public var account: String = ""
    /// Issue a new token; the old one keeps working for the grace period.
    public var rotateToken: Bool = false
    /// Grace period for the old token when rotating; 0 = server default (72 h).
    public var previousTokenGraceSeconds: UInt32 = 0

    public init() {}

    public init(
        tenantId: String = "", account: String = "", rotateToken: Bool = false, previousTokenGraceSeconds: UInt32 = 0
    ) {
        self.tenantId = tenantId
        self.account = account
        self.rotateToken = rotateToken
        self.previousTokenGraceSeconds = previousTokenGraceSeconds
    }
}

extension GetWebhookURLRequest: CBackedMessage {
    typealias CMessage = Clickbank__Ingest__V1__GetWebhookURLRequest

    static func cInit(_ message: UnsafeMutablePointer<CMessage>) {
        clickbank__ingest__v1__get_webhook_urlrequest__init(message)
    }

    static func cUnpack(_ count: Int, _ bytes: UnsafePointer<UInt8>?) -> UnsafeMutablePointer<CMessage>? {
        clickbank__ingest__v1__get_webhook_urlrequest__unpack(nil, count, bytes)
    }

    init(c message: CMessage) {
        self.tenantId = swiftString(message.tenant_id)
        self.account = swiftString(message.account)
        self.rotateToken = message.rotate_token != 0
        self.previousTokenGraceSeconds = message.previous_token_grace_seconds
    }

    func fill(_ message: inout CMessage, _ arena: inout Arena) {
        message.tenant_id = arena.string(self.tenantId)
        message.account = arena.string(self.account)
        message.rotate_token = cBool(self.rotateToken)
        message.previous_token_grace_seconds = self.previousTokenGraceSeconds
    }
}
