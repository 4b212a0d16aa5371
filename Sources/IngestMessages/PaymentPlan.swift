internal import IngestProtoC

public struct PaymentPlan: WireMessage {
    public static let protoName = "clickbank.ingest.v1.PaymentPlan"

    public var rebillStatus: String = ""
    public var rebillFrequency: String = ""
    /// Exact decimal as text, for example "29.95".
    public var rebillAmount: String = ""
    public var paymentsProcessed: Int64 = 0
    public var paymentsRemaining: Int64 = 0
    public var nextPaymentDate: String = ""

    public init() {}

    public init(
        rebillStatus: String = "", rebillFrequency: String = "", rebillAmount: String = "",
        paymentsProcessed: Int64 = 0, paymentsRemaining: Int64 = 0, nextPaymentDate: String = ""
    ) {
        self.rebillStatus = rebillStatus
        self.rebillFrequency = rebillFrequency
        self.rebillAmount = rebillAmount
        self.paymentsProcessed = paymentsProcessed
        self.paymentsRemaining = paymentsRemaining
        self.nextPaymentDate = nextPaymentDate
    }
}

extension PaymentPlan: CBackedMessage {
    typealias CMessage = Clickbank__Ingest__V1__PaymentPlan

    static func cInit(_ message: UnsafeMutablePointer<CMessage>) {
        clickbank__ingest__v1__payment_plan__init(message)
    }

    static func cUnpack(_ count: Int, _ bytes: UnsafePointer<UInt8>?) -> UnsafeMutablePointer<CMessage>? {
        clickbank__ingest__v1__payment_plan__unpack(nil, count, bytes)
    }

    init(c message: CMessage) {
        self.rebillStatus = swiftString(message.rebill_status)
        self.rebillFrequency = swiftString(message.rebill_frequency)
        self.rebillAmount = swiftString(message.rebill_amount)
        self.paymentsProcessed = message.payments_processed
        self.paymentsRemaining = message.payments_remaining
        self.nextPaymentDate = swiftString(message.next_payment_date)
    }

    func fill(_ message: inout CMessage, _ arena: inout Arena) {
        message.rebill_status = arena.string(self.rebillStatus)
        message.rebill_frequency = arena.string(self.rebillFrequency)
        message.rebill_amount = arena.string(self.rebillAmount)
        message.payments_processed = self.paymentsProcessed
        message.payments_remaining = self.paymentsRemaining
        message.next_payment_date = arena.string(self.nextPaymentDate)
    }
}
