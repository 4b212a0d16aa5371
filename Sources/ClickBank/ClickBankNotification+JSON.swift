extension ClickBankNotification {
    /// Validates a decrypted 6.x/7.x document and maps it.
    ///
    /// Required (present, non-null, right type): `transactionTime` (ISO 8601 with offset), `receipt`,
    /// `transactionType`, `vendor`, `role` (non-empty strings), `lineItems` (array of objects, each with
    /// an `itemNo` string or number), `version` (number or string). `attemptCount` is optional (1 when
    /// absent) but must be a whole number >= 1 when present. Every other known field is optional but
    /// type-checked when present. Unknown fields are ignored here and kept in `documentJSON`.
    init(document: JSONValue, documentJSON: String) throws(IPNFailure) {
        let root = try JSONObjectReader(document, path: "")
        let timeText = try root.requiredString("transactionTime")
        guard let transactionTime = ClickBankTime(iso8601: timeText) else {
            throw .schema("transactionTime must be an ISO 8601 date-time with a UTC offset")
        }
        let receipt = try root.requiredString("receipt")
        let transactionType = try root.requiredString("transactionType")
        let vendor = try root.requiredString("vendor")
        let role = try root.requiredString("role")
        let version = try root.requiredText("version")
        guard let lineItemValues = try root.array("lineItems") else { throw .schema("lineItems is required") }
        var lineItems: [LineItem] = []
        for (index, value) in lineItemValues.enumerated() {
            lineItems.append(try Self.lineItem(JSONObjectReader(value, path: "lineItems[\(index)]")))
        }
        let attemptCount = try root.integer("attemptCount") ?? 1
        guard attemptCount >= 1 else { throw .schema("attemptCount must be at least 1") }

        let customer = try root.object("customer")
        let upsell = try root.object("upsell").map { reader throws(IPNFailure) in
            Upsell(
                originalReceipt: try reader.text("upsellOriginalReceipt"),
                flowId: try reader.text("upsellFlowId"),
                session: try reader.text("upsellSession"),
                path: try reader.text("upsellPath")
            )
        }
        self.init(
            format: .encryptedJSON,
            receipt: receipt,
            transactionType: transactionType,
            vendor: vendor,
            role: role,
            affiliate: try root.text("affiliate"),
            transactionTime: transactionTime,
            currency: try root.text("currency"),
            totalAccountAmount: try root.amount("totalAccountAmount"),
            totalOrderAmount: try root.amount("totalOrderAmount"),
            totalTaxAmount: try root.amount("totalTaxAmount"),
            totalShippingAmount: try root.amount("totalShippingAmount"),
            paymentMethod: try root.text("paymentMethod"),
            orderLanguage: try root.text("orderLanguage"),
            lineItems: lineItems,
            billing: try customer?.object("billing").map(Self.contact),
            shipping: try customer?.object("shipping").map(Self.contact),
            upsell: upsell?.isEmpty == true ? nil : upsell,
            trackingCodes: try Self.trackingCodes(root),
            vendorVariables: try Self.vendorVariables(root),
            attemptCount: attemptCount,
            version: version,
            documentJSON: documentJSON
        )
    }

    private static func lineItem(_ item: JSONObjectReader) throws(IPNFailure) -> LineItem {
        let plan = try item.object("paymentPlan").map { plan throws(IPNFailure) in
            PaymentPlan(
                rebillStatus: try plan.text("rebillStatus"),
                rebillFrequency: try plan.text("rebillFrequency"),
                rebillAmount: try plan.amount("rebillAmount"),
                paymentsProcessed: try plan.integer("paymentsProcessed"),
                paymentsRemaining: try plan.integer("paymentsRemaining"),
                nextPaymentDate: try plan.text("nextPaymentDate")
            )
        }
        return LineItem(
            itemNo: try item.requiredText("itemNo"),
            productTitle: try item.text("productTitle"),
            shippable: try item.bool("shippable"),
            recurring: try item.bool("recurring"),
            accountAmount: try item.amount("accountAmount"),
            quantity: try item.integer("quantity"),
            downloadURL: try item.text("downloadUrl"),
            lineItemType: try item.text("lineItemType"),
            paymentPlan: plan,
            productPrice: try item.amount("productPrice"),
            productDiscount: try item.amount("productDiscount"),
            taxAmount: try item.amount("taxAmount"),
            shippingAmount: try item.amount("shippingAmount"),
            shippingLiable: try item.bool("shippingLiable"),
            affiliatePayout: try item.amount("affiliatePayout")
        )
    }

    private static func contact(_ contact: JSONObjectReader) throws(IPNFailure) -> Contact {
        let address = try contact.object("address").map { address throws(IPNFailure) in
            Address(
                address1: try address.text("address1"),
                address2: try address.text("address2"),
                city: try address.text("city"),
                county: try address.text("county"),
                state: try address.text("state"),
                postalCode: try address.text("postalCode"),
                country: try address.text("country")
            )
        }
        return Contact(
            firstName: try contact.text("firstName"),
            lastName: try contact.text("lastName"),
            fullName: try contact.text("fullName"),
            phoneNumber: try contact.text("phoneNumber"),
            email: try contact.text("email"),
            address: address
        )
    }

    private static func trackingCodes(_ root: JSONObjectReader) throws(IPNFailure) -> [String] {
        guard let values = try root.array("trackingCodes") else { return [] }
        var codes: [String] = []
        for (index, value) in values.enumerated() {
            switch value {
            case .string(let text), .number(let text): codes.append(text)
            default: throw .schema("trackingCodes[\(index)] must be a string, got \(value.typeName)")
            }
        }
        return codes
    }

    /// Vendor variables come from the order link's query string, i.e. from anyone: never reject them.
    /// Non-string values are kept as their JSON text.
    private static func vendorVariables(_ root: JSONObjectReader) throws(IPNFailure) -> [VendorVariable] {
        guard let variables = try root.object("vendorVariables") else { return [] }
        return variables.members.map { member in
            switch member.value {
            case .string(let text): VendorVariable(key: member.key, value: text)
            case .null: VendorVariable(key: member.key, value: "")
            default: VendorVariable(key: member.key, value: member.value.jsonText)
            }
        }
    }
}
