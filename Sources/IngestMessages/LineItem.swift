internal import IngestProtoC

public struct LineItem: WireMessage {
    public static let protoName = "clickbank.ingest.v1.LineItem"

    public var itemNo: String = ""
    public var productTitle: String = ""
    public var shippable: Bool = false
    public var recurring: Bool = false
    /// Exact decimals as text, signed as ClickBank sent them.
    public var accountAmount: String = ""
    public var quantity: Int64 = 0
    public var downloadUrl: String = ""
    public var lineItemType: String = ""
    public var paymentPlan: PaymentPlan?
    public var productPrice: String = ""
    public var productDiscount: String = ""
    public var taxAmount: String = ""
    public var shippingAmount: String = ""
    public var shippingLiable: Bool = false
    public var affiliatePayout: String = ""

    public init() {}

    public init(
        itemNo: String = "", productTitle: String = "", shippable: Bool = false, recurring: Bool = false,
        accountAmount: String = "", quantity: Int64 = 0, downloadUrl: String = "", lineItemType: String = "",
        paymentPlan: PaymentPlan? = nil, productPrice: String = "", productDiscount: String = "",
        taxAmount: String = "", shippingAmount: String = "", shippingLiable: Bool = false, affiliatePayout: String = ""
    ) {
        self.itemNo = itemNo
        self.productTitle = productTitle
        self.shippable = shippable
        self.recurring = recurring
        self.accountAmount = accountAmount
        self.quantity = quantity
        self.downloadUrl = downloadUrl
        self.lineItemType = lineItemType
        self.paymentPlan = paymentPlan
        self.productPrice = productPrice
        self.productDiscount = productDiscount
        self.taxAmount = taxAmount
        self.shippingAmount = shippingAmount
        self.shippingLiable = shippingLiable
        self.affiliatePayout = affiliatePayout
    }
}

extension LineItem: CBackedMessage {
    typealias CMessage = Clickbank__Ingest__V1__LineItem

    static func cInit(_ message: UnsafeMutablePointer<CMessage>) {
        clickbank__ingest__v1__line_item__init(message)
    }

    static func cUnpack(_ count: Int, _ bytes: UnsafePointer<UInt8>?) -> UnsafeMutablePointer<CMessage>? {
        clickbank__ingest__v1__line_item__unpack(nil, count, bytes)
    }

    init(c message: CMessage) {
        self.itemNo = swiftString(message.item_no)
        self.productTitle = swiftString(message.product_title)
        self.shippable = message.shippable != 0
        self.recurring = message.recurring != 0
        self.accountAmount = swiftString(message.account_amount)
        self.quantity = message.quantity
        self.downloadUrl = swiftString(message.download_url)
        self.lineItemType = swiftString(message.line_item_type)
        self.paymentPlan = swiftMessage(message.payment_plan)
        self.productPrice = swiftString(message.product_price)
        self.productDiscount = swiftString(message.product_discount)
        self.taxAmount = swiftString(message.tax_amount)
        self.shippingAmount = swiftString(message.shipping_amount)
        self.shippingLiable = message.shipping_liable != 0
        self.affiliatePayout = swiftString(message.affiliate_payout)
    }

    func fill(_ message: inout CMessage, _ arena: inout Arena) {
        message.item_no = arena.string(self.itemNo)
        message.product_title = arena.string(self.productTitle)
        message.shippable = cBool(self.shippable)
        message.recurring = cBool(self.recurring)
        message.account_amount = arena.string(self.accountAmount)
        message.quantity = self.quantity
        message.download_url = arena.string(self.downloadUrl)
        message.line_item_type = arena.string(self.lineItemType)
        message.payment_plan = arena.message(self.paymentPlan)
        message.product_price = arena.string(self.productPrice)
        message.product_discount = arena.string(self.productDiscount)
        message.tax_amount = arena.string(self.taxAmount)
        message.shipping_amount = arena.string(self.shippingAmount)
        message.shipping_liable = cBool(self.shippingLiable)
        message.affiliate_payout = arena.string(self.affiliatePayout)
    }
}
