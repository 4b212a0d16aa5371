internal import IngestProtoC

/// Stores the ClickBank secret key of one account. Its `description` never shows the key.
public struct StoreSecretRequest: WireMessage {
    public static let protoName = "clickbank.ingest.v1.StoreSecretRequest"

    public var tenantId: String = ""
    /// The ClickBank account nickname the key belongs to.
    public var account: String = ""
    /// 1-32 characters of A-Z and 0-9, as shown in ClickBank; never returned or logged.
    public var secretKey: String = ""
    /// How long the previous key for this account keeps verifying notifications; 0 = server default (72 h).
    public var previousKeyGraceSeconds: UInt32 = 0

    public init() {}

    public init(
        tenantId: String = "", account: String = "", secretKey: String = "", previousKeyGraceSeconds: UInt32 = 0
    ) {
        self.tenantId = tenantId
        self.account = account
        self.secretKey = secretKey
        self.previousKeyGraceSeconds = previousKeyGraceSeconds
    }
}

extension StoreSecretRequest: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String {
        "StoreSecretRequest(tenantId: \(self.tenantId), account: \(self.account), secretKey: <redacted>, "
            + "previousKeyGraceSeconds: \(self.previousKeyGraceSeconds))"
    }

    public var debugDescription: String { self.description }
}

extension StoreSecretRequest: CBackedMessage {
    typealias CMessage = Clickbank__Ingest__V1__StoreSecretRequest

    static func cInit(_ message: UnsafeMutablePointer<CMessage>) {
        clickbank__ingest__v1__store_secret_request__init(message)
    }

    static func cUnpack(_ count: Int, _ bytes: UnsafePointer<UInt8>?) -> UnsafeMutablePointer<CMessage>? {
        clickbank__ingest__v1__store_secret_request__unpack(nil, count, bytes)
    }

    init(c message: CMessage) {
        self.tenantId = swiftString(message.tenant_id)
        self.account = swiftString(message.account)
        self.secretKey = swiftString(message.secret_key)
        self.previousKeyGraceSeconds = message.previous_key_grace_seconds
    }

    func fill(_ message: inout CMessage, _ arena: inout Arena) {
        message.tenant_id = arena.string(self.tenantId)
        message.account = arena.string(self.account)
        message.secret_key = arena.string(self.secretKey)
        message.previous_key_grace_seconds = self.previousKeyGraceSeconds
    }
}
