extension ClickBankNotification {
    /// One product line of a notification. Version 7 adds the price breakdown fields.
    public struct LineItem: Sendable, Hashable {
        /// The item number; part of an event's identity. Text even if ClickBank sent a number.
        public var itemNo: String
        public var productTitle: String?
        public var shippable: Bool?
        public var recurring: Bool?
        /// What the receiving account earns for this line (sign as sent).
        public var accountAmount: ExactDecimal?
        public var quantity: Int?
        public var downloadURL: String?
        /// ORIGINAL, UPSELL, CART, BUMP, STANDARD, TOKEN... as sent (open set).
        public var lineItemType: String?
        public var paymentPlan: PaymentPlan?
        public var productPrice: ExactDecimal?
        public var productDiscount: ExactDecimal?
        public var taxAmount: ExactDecimal?
        public var shippingAmount: ExactDecimal?
        public var shippingLiable: Bool?
        public var affiliatePayout: ExactDecimal?

        public init(
            itemNo: String,
            productTitle: String? = nil,
            shippable: Bool? = nil,
            recurring: Bool? = nil,
            accountAmount: ExactDecimal? = nil,
            quantity: Int? = nil,
            downloadURL: String? = nil,
            lineItemType: String? = nil,
            paymentPlan: PaymentPlan? = nil,
            productPrice: ExactDecimal? = nil,
            productDiscount: ExactDecimal? = nil,
            taxAmount: ExactDecimal? = nil,
            shippingAmount: ExactDecimal? = nil,
            shippingLiable: Bool? = nil,
            affiliatePayout: ExactDecimal? = nil
        ) {
            self.itemNo = itemNo
            self.productTitle = productTitle
            self.shippable = shippable
            self.recurring = recurring
            self.accountAmount = accountAmount
            self.quantity = quantity
            self.downloadURL = downloadURL
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
}
