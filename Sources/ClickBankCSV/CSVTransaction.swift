public import ClickBank

/// One row of a Transactions export, typed: one line item of one event, as the exporting account saw it.
public struct CSVTransaction: Sendable, Hashable {
    /// The instant of the event and the UTC offset the export's wall-clock time had then.
    public struct Instant: Sendable, Hashable {
        /// Milliseconds since 1970-01-01T00:00:00Z.
        public var unixMilliseconds: Int64
        /// Minutes east of UTC in the configured zone at that instant (-420 for PDT, -480 for PST).
        public var utcOffsetMinutes: Int

        public init(unixMilliseconds: Int64, utcOffsetMinutes: Int) {
            self.unixMilliseconds = unixMilliseconds
            self.utcOffsetMinutes = utcOffsetMinutes
        }
    }

    /// Customer columns; all empty for affiliate exports, which carry no name, e-mail or street.
    public struct Customer: Sendable, Hashable {
        public var firstName: String?
        public var lastName: String?
        public var fullName: String?
        public var email: String?
        public var city: String?
        public var state: String?
        public var country: String?
        public var postalCode: String?

        public init(
            firstName: String? = nil, lastName: String? = nil, fullName: String? = nil, email: String? = nil,
            city: String? = nil, state: String? = nil, country: String? = nil, postalCode: String? = nil
        ) {
            self.firstName = firstName
            self.lastName = lastName
            self.fullName = fullName
            self.email = email
            self.city = city
            self.state = state
            self.country = country
            self.postalCode = postalCode
        }
    }

    /// A column the importer does not understand, kept with its header name.
    public struct ExtraColumn: Sendable, Hashable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The natural key of the row (spec section 7) without the account, which the caller knows: the
    /// store adds it. Built from the normalised role and type code so that a CSV row and the IPN of the
    /// same event ("Sale"/"SALE", "Vendor"/"VENDOR") have equal keys.
    public struct Identity: Sendable, Hashable {
        public var role: String
        public var receipt: String
        public var transactionTypeCode: String
        public var unixMilliseconds: Int64
        public var itemNo: String
    }

    /// 1-based physical line where the row starts in the file.
    public var line: Int
    public var receipt: String
    /// The transaction type as written in the file ("Sale", "RFND", ...).
    public var transactionType: String
    /// ClickBank's code for it ("SALE", "RFND", "BILL", ...): display forms such as "Refund" or "Rebill"
    /// are translated; an unknown type is kept, upper-cased, with spaces as underscores.
    public var transactionTypeCode: String
    public var kind: TransactionKind
    /// VENDOR, AFFILIATE or JV_UPSELL ("Vendor", "JV Upsell" are translated); others upper-cased.
    public var role: String
    public var vendor: String?
    public var affiliate: String?
    /// "" when the export has no item column or the cell is empty.
    public var itemNo: String
    public var productTitle: String?
    public var lineItemType: String?
    public var paymentMethod: String?
    public var instant: Instant
    /// The account amount, signed by the transaction type: negative for refunds and chargebacks
    /// (`TransactionKind.isMoneyOut`), positive otherwise, whatever sign the file wrote.
    public var amount: ExactDecimal
    /// The other amounts, signed the same way; nil when the column is absent or empty.
    public var orderAmount: ExactDecimal?
    public var taxAmount: ExactDecimal?
    public var shippingAmount: ExactDecimal?
    /// Upper-cased ISO code from the Currency column, else from a code or symbol written with the amount.
    public var currency: String?
    public var trackingID: String?
    public var customer: Customer
    public var upsellOriginalReceipt: String?
    /// Unknown columns, in file order.
    public var extraColumns: [ExtraColumn]

    public init(
        line: Int, receipt: String, transactionType: String, transactionTypeCode: String, kind: TransactionKind,
        role: String, vendor: String?, affiliate: String?, itemNo: String, productTitle: String?,
        lineItemType: String?, paymentMethod: String?, instant: Instant, amount: ExactDecimal,
        orderAmount: ExactDecimal?, taxAmount: ExactDecimal?, shippingAmount: ExactDecimal?, currency: String?,
        trackingID: String?, customer: Customer, upsellOriginalReceipt: String?, extraColumns: [ExtraColumn]
    ) {
        self.line = line
        self.receipt = receipt
        self.transactionType = transactionType
        self.transactionTypeCode = transactionTypeCode
        self.kind = kind
        self.role = role
        self.vendor = vendor
        self.affiliate = affiliate
        self.itemNo = itemNo
        self.productTitle = productTitle
        self.lineItemType = lineItemType
        self.paymentMethod = paymentMethod
        self.instant = instant
        self.amount = amount
        self.orderAmount = orderAmount
        self.taxAmount = taxAmount
        self.shippingAmount = shippingAmount
        self.currency = currency
        self.trackingID = trackingID
        self.customer = customer
        self.upsellOriginalReceipt = upsellOriginalReceipt
        self.extraColumns = extraColumns
    }

    public var identity: Identity {
        Identity(
            role: self.role,
            receipt: self.receipt,
            transactionTypeCode: self.transactionTypeCode,
            unixMilliseconds: self.instant.unixMilliseconds,
            itemNo: self.itemNo
        )
    }

    /// The account that exported the file when the caller doesn't know it: the affiliate for role
    /// AFFILIATE, otherwise the vendor (the same rule as for notifications).
    public var receivingAccount: String? {
        if self.role == "AFFILIATE", let affiliate = self.affiliate {
            return affiliate
        }
        return self.vendor
    }
}
