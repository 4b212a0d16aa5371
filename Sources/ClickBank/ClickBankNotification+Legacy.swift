extension ClickBankNotification {
    /// Maps a legacy form post whose `cverify` has already been checked.
    ///
    /// Required: `ctransreceipt`, `ctransaction`, and `ctranstime` (Unix seconds). `ctransrole` defaults
    /// to VENDOR (versions before roles existed notified only the vendor). Amounts are integer cents
    /// (a value with a decimal point is taken as a plain amount). Empty values count as absent. The
    /// single product (`cproditem`...) becomes one line item; `cvendthru` is the vendor's
    /// pass-through query string and becomes `vendorVariables`.
    init(legacyFields fields: [FormField]) throws(IPNFailure) {
        var values: [String: String] = [:]
        for field in fields where !field.value.isEmpty {
            values[field.name] = field.value
        }
        func required(_ name: String) throws(IPNFailure) -> String {
            guard let value = values[name] else { throw .schema("\(name) is required") }
            return value
        }
        func amount(_ name: String) throws(IPNFailure) -> ExactDecimal? {
            guard let text = values[name] else { return nil }
            if text.contains(".") {
                guard let amount = ExactDecimal(parsing: text) else {
                    throw .schema("\(name) must be a decimal amount")
                }
                return amount
            }
            guard let cents = Int64(text) else { throw .schema("\(name) must be whole cents") }
            return ExactDecimal(units: cents, scale: 2)
        }
        func integer(_ name: String) throws(IPNFailure) -> Int? {
            guard let text = values[name] else { return nil }
            guard let number = Int(text) else { throw .schema("\(name) must be a whole number") }
            return number
        }

        let timeText = try required("ctranstime")
        guard let transactionTime = ClickBankTime(unixSecondsText: timeText) else {
            throw .schema("ctranstime must be Unix seconds")
        }
        var lineItems: [LineItem] = []
        if let itemNo = values["cproditem"] {
            let productType = values["cprodtype"]
            let rebill = PaymentPlan(
                rebillAmount: try amount("crebillamnt"),
                paymentsProcessed: try integer("cprocessedpayments"),
                paymentsRemaining: try integer("cfuturepayments"),
                nextPaymentDate: values["cnextpaymentdate"]
            )
            lineItems.append(
                LineItem(
                    itemNo: itemNo,
                    productTitle: values["cprodtitle"],
                    recurring: productType.map { $0.uppercased() == "RECURRING" },
                    accountAmount: try amount("caccountamount"),
                    lineItemType: productType,
                    paymentPlan: rebill == PaymentPlan() ? nil : rebill
                )
            )
        }
        let billing = Self.legacyContact(
            values,
            names: ("ccustfirstname", "ccustlastname", "ccustfullname", "ccustemail"),
            address: ("ccustaddr1", "ccustaddr2", "ccustcity", "ccustcounty", "ccuststate", "ccustzip", "ccustcc")
        )
        let shipping = Self.legacyContact(
            values,
            names: ("", "", "", ""),
            address: (
                "ccustshippingaddr1", "ccustshippingaddr2", "ccustshippingcity", "ccustshippingcounty",
                "ccustshippingstate", "ccustshippingzip", "ccustshippingcountry"
            )
        )
        let documentJSON = JSONValue.object(fields.map { JSONMember(key: $0.name, value: .string($0.value)) }).jsonText
        self.init(
            format: .legacyForm,
            receipt: try required("ctransreceipt"),
            transactionType: try required("ctransaction"),
            vendor: values["ctransvendor"] ?? "",
            role: values["ctransrole"] ?? "VENDOR",
            affiliate: values["ctransaffiliate"],
            transactionTime: transactionTime,
            currency: values["ccurrency"],
            totalAccountAmount: try amount("caccountamount"),
            totalOrderAmount: try amount("corderamount"),
            totalTaxAmount: try amount("ctaxamount"),
            totalShippingAmount: try amount("cshippingamount"),
            paymentMethod: values["ctranspaymentmethod"],
            orderLanguage: values["corderlanguage"],
            lineItems: lineItems,
            billing: billing,
            shipping: shipping,
            upsell: values["cupsellreceipt"].map { Upsell(originalReceipt: $0) },
            trackingCodes: values["ctid"].map { [$0] } ?? [],
            vendorVariables: Self.legacyVendorVariables(values["cvendthru"]),
            attemptCount: 1,
            version: values["cnoticeversion"] ?? "",
            documentJSON: documentJSON
        )
    }

    private static func legacyContact(
        _ values: [String: String],
        names: (first: String, last: String, full: String, email: String),
        address fields: (String, String, String, String, String, String, String)
    ) -> Contact? {
        let address = Address(
            address1: values[fields.0],
            address2: values[fields.1],
            city: values[fields.2],
            county: values[fields.3],
            state: values[fields.4],
            postalCode: values[fields.5],
            country: values[fields.6]
        )
        let contact = Contact(
            firstName: values[names.first],
            lastName: values[names.last],
            // Version 1.0 sent the whole name as `ccustname`.
            fullName: values[names.full] ?? (names.full.isEmpty ? nil : values["ccustname"]),
            email: values[names.email],
            address: address == Address() ? nil : address
        )
        return contact == Contact() ? nil : contact
    }

    /// `cvendthru` is itself a query string (`v1=spring&cbfid=77`). If it does not parse as one, it is
    /// kept whole under the key `cvendthru` rather than dropped.
    private static func legacyVendorVariables(_ text: String?) -> [VendorVariable] {
        guard let text else { return [] }
        guard let fields = FormField.parse(Array(text.utf8)) else {
            return [VendorVariable(key: "cvendthru", value: text)]
        }
        return fields.map { VendorVariable(key: $0.name, value: $0.value) }
    }
}
