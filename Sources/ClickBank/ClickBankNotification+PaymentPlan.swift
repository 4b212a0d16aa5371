extension ClickBankNotification {
    /// The subscription state of a recurring line item.
    public struct PaymentPlan: Sendable, Hashable {
        public var rebillStatus: String?
        public var rebillFrequency: String?
        public var rebillAmount: ExactDecimal?
        public var paymentsProcessed: Int?
        public var paymentsRemaining: Int?
        /// The next payment date as sent (same style as `transactionTime` for the version).
        public var nextPaymentDate: String?

        public init(
            rebillStatus: String? = nil,
            rebillFrequency: String? = nil,
            rebillAmount: ExactDecimal? = nil,
            paymentsProcessed: Int? = nil,
            paymentsRemaining: Int? = nil,
            nextPaymentDate: String? = nil
        ) {
            self.rebillStatus = rebillStatus
            self.rebillFrequency = rebillFrequency
            self.rebillAmount = rebillAmount
            self.paymentsProcessed = paymentsProcessed
            self.paymentsRemaining = paymentsRemaining
            self.nextPaymentDate = nextPaymentDate
        }

        /// `nextPaymentDate` parsed, or nil if absent or not ISO 8601. Informational only, so an odd
        /// value does not reject the notification.
        public var nextPaymentTime: ClickBankTime? {
            self.nextPaymentDate.flatMap { ClickBankTime(iso8601: $0) }
        }
    }
}
