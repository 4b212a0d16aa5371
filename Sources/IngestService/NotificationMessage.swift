import ClickBank
import IngestMessages

/// Turns the domain's verified notification into the wire message VerifyIPN returns.
enum NotificationMessage {
    static func make(from source: ClickBankNotification) -> IngestMessages.Notification {
        var message = IngestMessages.Notification()
        message.receipt = source.receipt
        message.transactionType = source.transactionType
        message.kind = IngestMessages.TransactionKind(rawValue: Int32(source.kind.rawValue))
        message.vendor = source.vendor
        message.role = source.role
        message.affiliate = source.affiliate ?? ""
        message.transactionTimeMs = source.transactionTime.unixMilliseconds
        message.utcOffsetMinutes = Int32(source.transactionTime.utcOffsetMinutes)
        message.transactionTimeText = source.transactionTime.text
        message.currency = source.currency ?? ""
        message.totalAccountAmount = Self.text(source.totalAccountAmount)
        message.totalOrderAmount = Self.text(source.totalOrderAmount)
        message.totalTaxAmount = Self.text(source.totalTaxAmount)
        message.totalShippingAmount = Self.text(source.totalShippingAmount)
        message.paymentMethod = source.paymentMethod ?? ""
        message.lineItems = source.lineItems.map(Self.lineItem)
        message.billing = source.billing.map(Self.contact)
        message.shipping = source.shipping.map(Self.contact)
        message.upsell = source.upsell.map { upsell in
            Upsell(
                originalReceipt: upsell.originalReceipt ?? "", flowId: upsell.flowId ?? "",
                session: upsell.session ?? "", path: upsell.path ?? ""
            )
        }
        message.trackingCodes = source.trackingCodes
        message.vendorVariables = source.vendorVariables.map { KeyValue(key: $0.key, value: $0.value) }
        message.attemptCount = UInt32(clamping: source.attemptCount)
        message.version = source.version
        message.orderLanguage = source.orderLanguage ?? ""
        message.documentJson = source.documentJSON
        return message
    }

    private static func text(_ amount: ExactDecimal?) -> String {
        amount.map(\.description) ?? ""
    }

    private static func lineItem(_ item: ClickBankNotification.LineItem) -> IngestMessages.LineItem {
        var line = IngestMessages.LineItem()
        line.itemNo = item.itemNo
        line.productTitle = item.productTitle ?? ""
        line.shippable = item.shippable ?? false
        line.recurring = item.recurring ?? false
        line.accountAmount = Self.text(item.accountAmount)
        line.quantity = Int64(item.quantity ?? 0)
        line.downloadUrl = item.downloadURL ?? ""
        line.lineItemType = item.lineItemType ?? ""
        line.paymentPlan = item.paymentPlan.map { plan in
            PaymentPlan(
                rebillStatus: plan.rebillStatus ?? "", rebillFrequency: plan.rebillFrequency ?? "",
                rebillAmount: Self.text(plan.rebillAmount), paymentsProcessed: Int64(plan.paymentsProcessed ?? 0),
                paymentsRemaining: Int64(plan.paymentsRemaining ?? 0), nextPaymentDate: plan.nextPaymentDate ?? ""
            )
        }
        line.productPrice = Self.text(item.productPrice)
        line.productDiscount = Self.text(item.productDiscount)
        line.taxAmount = Self.text(item.taxAmount)
        line.shippingAmount = Self.text(item.shippingAmount)
        line.shippingLiable = item.shippingLiable ?? false
        line.affiliatePayout = Self.text(item.affiliatePayout)
        return line
    }

    private static func contact(_ contact: ClickBankNotification.Contact) -> Contact {
        Contact(
            firstName: contact.firstName ?? "", lastName: contact.lastName ?? "", fullName: contact.fullName ?? "",
            phoneNumber: contact.phoneNumber ?? "", email: contact.email ?? "",
            address: contact.address.map { address in
                Address(
                    address1: address.address1 ?? "", address2: address.address2 ?? "", city: address.city ?? "",
                    county: address.county ?? "", state: address.state ?? "", postalCode: address.postalCode ?? "",
                    country: address.country ?? ""
                )
            }
        )
    }

    static func failure(_ failure: IPNFailure) -> VerifyFailure {
        switch failure {
        case .badBase64: .badBase64
        case .badIVLength: .badIvLength
        case .badCiphertextLength: .badCiphertextLength
        case .badPadding: .badPadding
        case .notUTF8: .notUtf8
        case .notJSON: .notJson
        case .schema: .schema
        case .badCverify: .badCverify
        case .malformedBody: .malformedBody
        case .vendorMismatch: .vendorMismatch
        }
    }
}
