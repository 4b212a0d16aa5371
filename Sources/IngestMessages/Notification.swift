internal import IngestProtoC

/// A verified ClickBank notification, normalised. Amounts are exact decimals as text.
///
/// Foundation also has a `Notification`; a file importing both spells this one `IngestMessages.Notification`.
public struct Notification: WireMessage {
    public static let protoName = "clickbank.ingest.v1.Notification"

    public var receipt: String = ""
    /// As ClickBank sent it (an open set: unknown values are kept).
    public var transactionType: String = ""
    public var kind: TransactionKind = .unknown
    public var vendor: String = ""
    public var role: String = ""
    public var affiliate: String = ""
    /// The instant in Unix milliseconds.
    public var transactionTimeMs: Int64 = 0
    /// The offset the time was sent with (minutes east of UTC).
    public var utcOffsetMinutes: Int32 = 0
    public var transactionTimeText: String = ""
    public var currency: String = ""
    public var totalAccountAmount: String = ""
    public var totalOrderAmount: String = ""
    public var totalTaxAmount: String = ""
    public var totalShippingAmount: String = ""
    public var paymentMethod: String = ""
    public var lineItems: [LineItem] = []
    public var billing: Contact?
    public var shipping: Contact?
    public var upsell: Upsell?
    public var trackingCodes: [String] = []
    public var vendorVariables: [KeyValue] = []
    public var attemptCount: UInt32 = 0
    public var version: String = ""
    public var orderLanguage: String = ""
    /// The whole decrypted JSON document, unknown fields included.
    public var documentJson: String = ""

    public init() {}

    public init(
        receipt: String = "", transactionType: String = "", kind: TransactionKind = .unknown, vendor: String = "",
        role: String = "", affiliate: String = "", transactionTimeMs: Int64 = 0, utcOffsetMinutes: Int32 = 0,
        transactionTimeText: String = "", currency: String = "", totalAccountAmount: String = "",
        totalOrderAmount: String = "", totalTaxAmount: String = "", totalShippingAmount: String = "",
        paymentMethod: String = "", lineItems: [LineItem] = [], billing: Contact? = nil, shipping: Contact? = nil,
        upsell: Upsell? = nil, trackingCodes: [String] = [], vendorVariables: [KeyValue] = [],
        attemptCount: UInt32 = 0, version: String = "", orderLanguage: String = "", documentJson: String = ""
    ) {
        self.receipt = receipt
        self.transactionType = transactionType
        self.kind = kind
        self.vendor = vendor
        self.role = role
        self.affiliate = affiliate
        self.transactionTimeMs = transactionTimeMs
        self.utcOffsetMinutes = utcOffsetMinutes
        self.transactionTimeText = transactionTimeText
        self.currency = currency
        self.totalAccountAmount = totalAccountAmount
        self.totalOrderAmount = totalOrderAmount
        self.totalTaxAmount = totalTaxAmount
        self.totalShippingAmount = totalShippingAmount
        self.paymentMethod = paymentMethod
        self.lineItems = lineItems
        self.billing = billing
        self.shipping = shipping
        self.upsell = upsell
        self.trackingCodes = trackingCodes
        self.vendorVariables = vendorVariables
        self.attemptCount = attemptCount
        self.version = version
        self.orderLanguage = orderLanguage
        self.documentJson = documentJson
    }
}

extension Notification: CBackedMessage {
    typealias CMessage = Clickbank__Ingest__V1__Notification

    static func cInit(_ message: UnsafeMutablePointer<CMessage>) {
        clickbank__ingest__v1__notification__init(message)
    }

    static func cUnpack(_ count: Int, _ bytes: UnsafePointer<UInt8>?) -> UnsafeMutablePointer<CMessage>? {
        clickbank__ingest__v1__notification__unpack(nil, count, bytes)
    }

    init(c message: CMessage) {
        self.receipt = swiftString(message.receipt)
        self.transactionType = swiftString(message.transaction_type)
        self.kind = TransactionKind(rawValue: Int32(bitPattern: message.kind.rawValue))
        self.vendor = swiftString(message.vendor)
        self.role = swiftString(message.role)
        self.affiliate = swiftString(message.affiliate)
        self.transactionTimeMs = message.transaction_time_ms
        self.utcOffsetMinutes = message.utc_offset_minutes
        self.transactionTimeText = swiftString(message.transaction_time_text)
        self.currency = swiftString(message.currency)
        self.totalAccountAmount = swiftString(message.total_account_amount)
        self.totalOrderAmount = swiftString(message.total_order_amount)
        self.totalTaxAmount = swiftString(message.total_tax_amount)
        self.totalShippingAmount = swiftString(message.total_shipping_amount)
        self.paymentMethod = swiftString(message.payment_method)
        self.lineItems = swiftMessages(message.n_line_items, message.line_items)
        self.billing = swiftMessage(message.billing)
        self.shipping = swiftMessage(message.shipping)
        self.upsell = swiftMessage(message.upsell)
        self.trackingCodes = swiftStrings(message.n_tracking_codes, message.tracking_codes)
        self.vendorVariables = swiftMessages(message.n_vendor_variables, message.vendor_variables)
        self.attemptCount = message.attempt_count
        self.version = swiftString(message.version)
        self.orderLanguage = swiftString(message.order_language)
        self.documentJson = swiftString(message.document_json)
    }

    func fill(_ message: inout CMessage, _ arena: inout Arena) {
        message.receipt = arena.string(self.receipt)
        message.transaction_type = arena.string(self.transactionType)
        message.kind = .init(rawValue: UInt32(bitPattern: self.kind.rawValue))
        message.vendor = arena.string(self.vendor)
        message.role = arena.string(self.role)
        message.affiliate = arena.string(self.affiliate)
        message.transaction_time_ms = self.transactionTimeMs
        message.utc_offset_minutes = self.utcOffsetMinutes
        message.transaction_time_text = arena.string(self.transactionTimeText)
        message.currency = arena.string(self.currency)
        message.total_account_amount = arena.string(self.totalAccountAmount)
        message.total_order_amount = arena.string(self.totalOrderAmount)
        message.total_tax_amount = arena.string(self.totalTaxAmount)
        message.total_shipping_amount = arena.string(self.totalShippingAmount)
        message.payment_method = arena.string(self.paymentMethod)
        (message.n_line_items, message.line_items) = arena.messages(self.lineItems)
        message.billing = arena.message(self.billing)
        message.shipping = arena.message(self.shipping)
        message.upsell = arena.message(self.upsell)
        (message.n_tracking_codes, message.tracking_codes) = arena.strings(self.trackingCodes)
        (message.n_vendor_variables, message.vendor_variables) = arena.messages(self.vendorVariables)
        message.attempt_count = self.attemptCount
        message.version = arena.string(self.version)
        message.order_language = arena.string(self.orderLanguage)
        message.document_json = arena.string(self.documentJson)
    }
}
