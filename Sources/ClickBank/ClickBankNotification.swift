/// One verified ClickBank Instant Notification, normalised from any supported version.
///
/// Produced only by `IPNVerifier`, after decryption (6.x/7.x) or `cverify` (legacy) and schema checks.
/// Optional fields are nil when absent, null, or (legacy) empty. Unknown fields are not modelled but
/// are kept in `documentJSON`, and unknown transaction types are kept as sent (`kind == .other`).
public struct ClickBankNotification: Sendable, Hashable {
    /// How the notification arrived.
    public enum Format: Sendable, Hashable {
        /// 6.x / 7.x: AES-256-CBC encrypted JSON.
        case encryptedJSON
        /// 1.0 / 2.x / 4.0: form fields signed with `cverify`.
        case legacyForm
    }

    public var format: Format
    /// The receipt. Not unique on its own: refunds reuse it and every Test IPN sends `********`.
    public var receipt: String
    /// The transaction type exactly as sent (an open set).
    public var transactionType: String
    /// What the transaction type means for money.
    public var kind: TransactionKind
    /// The vendor's account nickname.
    public var vendor: String
    /// The receiving account's role: VENDOR, AFFILIATE, JV_UPSELL (as sent).
    public var role: String
    public var affiliate: String?
    public var transactionTime: ClickBankTime
    public var currency: String?
    public var totalAccountAmount: ExactDecimal?
    public var totalOrderAmount: ExactDecimal?
    public var totalTaxAmount: ExactDecimal?
    public var totalShippingAmount: ExactDecimal?
    public var paymentMethod: String?
    public var orderLanguage: String?
    public var lineItems: [LineItem]
    public var billing: Contact?
    public var shipping: Contact?
    /// Upsell details; nil when absent or when ClickBank sent an empty object.
    public var upsell: Upsell?
    public var trackingCodes: [String]
    /// Vendor pass-through variables in the order sent.
    public var vendorVariables: [VendorVariable]
    /// Delivery attempt, 1 for the first. Not part of an event's identity.
    public var attemptCount: Int
    /// The notification version as sent ("7.0", "6.0", "4.0"); empty if a legacy post did not say.
    public var version: String
    /// The full decrypted document (or, for legacy posts, a JSON object of the posted fields), unknown
    /// fields included. Contains customer data: store it, never log it.
    public var documentJSON: String

    public init(
        format: Format,
        receipt: String,
        transactionType: String,
        vendor: String,
        role: String,
        affiliate: String? = nil,
        transactionTime: ClickBankTime,
        currency: String? = nil,
        totalAccountAmount: ExactDecimal? = nil,
        totalOrderAmount: ExactDecimal? = nil,
        totalTaxAmount: ExactDecimal? = nil,
        totalShippingAmount: ExactDecimal? = nil,
        paymentMethod: String? = nil,
        orderLanguage: String? = nil,
        lineItems: [LineItem] = [],
        billing: Contact? = nil,
        shipping: Contact? = nil,
        upsell: Upsell? = nil,
        trackingCodes: [String] = [],
        vendorVariables: [VendorVariable] = [],
        attemptCount: Int = 1,
        version: String,
        documentJSON: String
    ) {
        self.format = format
        self.receipt = receipt
        self.transactionType = transactionType
        self.kind = TransactionKind(transactionType: transactionType)
        self.vendor = vendor
        self.role = role
        self.affiliate = affiliate
        self.transactionTime = transactionTime
        self.currency = currency
        self.totalAccountAmount = totalAccountAmount
        self.totalOrderAmount = totalOrderAmount
        self.totalTaxAmount = totalTaxAmount
        self.totalShippingAmount = totalShippingAmount
        self.paymentMethod = paymentMethod
        self.orderLanguage = orderLanguage
        self.lineItems = lineItems
        self.billing = billing
        self.shipping = shipping
        self.upsell = upsell
        self.trackingCodes = trackingCodes
        self.vendorVariables = vendorVariables
        self.attemptCount = attemptCount
        self.version = version
        self.documentJSON = documentJSON
    }

    /// Whether this came from the "Test IPN" button (transaction type TEST): proof that the URL and
    /// secret key work, never a sale. Test purchases (TEST_SALE...) are not this.
    public var isTestIPN: Bool {
        self.kind == .test
    }
}
