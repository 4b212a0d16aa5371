internal import IngestProtoC

public struct VerifyIPNResponse: WireMessage {
    public static let protoName = "clickbank.ingest.v1.VerifyIPNResponse"

    public var verified: Bool = false
    public var failure: VerifyFailure = .none
    /// Operator-facing detail of the failure (never contains the secret).
    public var failureDetail: String = ""
    /// True when this event was already recorded (a redelivery or an earlier CSV import).
    public var duplicate: Bool = false
    public var notification: Notification?
    /// The secret key version that verified it (StoreSecretResponse.keyVersion).
    public var keyVersion: UInt32 = 0
    public var test: Bool = false
    /// Id of the stored raw delivery.
    public var deliveryId: Int64 = 0
    public var error: CallError?

    public init() {}

    public init(
        verified: Bool = false, failure: VerifyFailure = .none, failureDetail: String = "", duplicate: Bool = false,
        notification: Notification? = nil, keyVersion: UInt32 = 0, test: Bool = false, deliveryId: Int64 = 0,
        error: CallError? = nil
    ) {
        self.verified = verified
        self.failure = failure
        self.failureDetail = failureDetail
        self.duplicate = duplicate
        self.notification = notification
        self.keyVersion = keyVersion
        self.test = test
        self.deliveryId = deliveryId
        self.error = error
    }
}

extension VerifyIPNResponse: CBackedMessage {
    typealias CMessage = Clickbank__Ingest__V1__VerifyIPNResponse

    static func cInit(_ message: UnsafeMutablePointer<CMessage>) {
        clickbank__ingest__v1__verify_ipnresponse__init(message)
    }

    static func cUnpack(_ count: Int, _ bytes: UnsafePointer<UInt8>?) -> UnsafeMutablePointer<CMessage>? {
        clickbank__ingest__v1__verify_ipnresponse__unpack(nil, count, bytes)
    }

    init(c message: CMessage) {
        self.verified = message.verified != 0
        self.failure = VerifyFailure(rawValue: Int32(bitPattern: message.failure.rawValue))
        self.failureDetail = swiftString(message.failure_detail)
        self.duplicate = message.duplicate != 0
        self.notification = swiftMessage(message.notification)
        self.keyVersion = message.key_version
        self.test = message.test != 0
        self.deliveryId = message.delivery_id
        self.error = swiftMessage(message.error)
    }

    func fill(_ message: inout CMessage, _ arena: inout Arena) {
        message.verified = cBool(self.verified)
        message.failure = .init(rawValue: UInt32(bitPattern: self.failure.rawValue))
        message.failure_detail = arena.string(self.failureDetail)
        message.duplicate = cBool(self.duplicate)
        message.notification = arena.message(self.notification)
        message.key_version = self.keyVersion
        message.test = cBool(self.test)
        message.delivery_id = self.deliveryId
        message.error = arena.message(self.error)
    }
}
