import ClickBank
import Testing

@Suite struct LegacyFormTests {
    static let secretKey = "LEGACYKEY01"

    static let baseFields: [(name: String, value: String)] = [
        ("ctransreceipt", "LEGACY01"),
        ("ctransaction", "RFND"),
        ("ctransvendor", "oldvendor"),
        ("ctransaffiliate", "aff9"),
        ("ctransrole", "AFFILIATE"),
        ("ctranstime", "1709676207"),
        ("caccountamount", "-1175"),
        ("cproditem", "3"),
        ("cprodtitle", "Guide & Co, 50% off"),
        ("cprodtype", "RECURRING"),
        ("ccustname", "Ana Smith"),
        ("ccustemail", "ana@example.com"),
        ("cvendthru", "v1=spring&cbfid=77"),
        ("cupsellreceipt", "PARENT01"),
        ("cnoticeversion", "2.1"),
        ("cempty", ""),
    ]

    /// A form body with a correct (or the given) cverify.
    static func body(_ fields: [(name: String, value: String)], cverify: String? = nil) -> [UInt8] {
        let signature = cverify ?? LegacyCverify.compute(fields: fields, secretKey: Self.secretKey)
        let all = fields + [(name: "cverify", value: signature)]
        return Array(all.map { "\(formEncode($0.name))=\(formEncode($0.value))" }.joined(separator: "&").utf8)
    }

    func verify(_ body: [UInt8], contentType: String? = "application/x-www-form-urlencoded") throws(IPNFailure)
        -> ClickBankNotification
    {
        try IPNVerifier.verify(body: body, contentType: contentType, secretKey: Self.secretKey)
    }

    @Test func validPostMaps() throws {
        let notification = try self.verify(Self.body(Self.baseFields))
        #expect(notification.format == .legacyForm)
        #expect(notification.receipt == "LEGACY01")
        #expect(notification.kind == .refund)
        #expect(notification.role == "AFFILIATE")
        #expect(notification.affiliate == "aff9")
        #expect(notification.receivingAccount == "aff9")
        #expect(notification.totalAccountAmount?.description == "-11.75")
        #expect(
            notification.lineItems == [
                ClickBankNotification.LineItem(
                    itemNo: "3", productTitle: "Guide & Co, 50% off", recurring: true,
                    accountAmount: ExactDecimal(units: -1175, scale: 2), lineItemType: "RECURRING"
                )
            ])
        #expect(notification.billing?.fullName == "Ana Smith")
        #expect(notification.billing?.email == "ana@example.com")
        #expect(
            notification.vendorVariables == [
                VendorVariable(key: "v1", value: "spring"), VendorVariable(key: "cbfid", value: "77"),
            ])
        #expect(notification.upsell?.originalReceipt == "PARENT01")
        #expect(notification.version == "2.1")
        #expect(notification.attemptCount == 1)
        let document = try JSONValue.parse(notification.documentJSON)
        #expect(document.objectMembers?.count == Self.baseFields.count + 1)
        #expect(document["cempty"] == .string(""))
    }

    /// Form detection does not need the header when the body carries cverify.
    @Test func detectedWithoutContentType() throws {
        #expect(try self.verify(Self.body(Self.baseFields), contentType: nil).receipt == "LEGACY01")
    }

    @Test func cverifyIsCaseInsensitiveHex() throws {
        let signature = LegacyCverify.compute(fields: Self.baseFields, secretKey: Self.secretKey)
        #expect(signature.count == 8)
        #expect(signature == signature.uppercased())
        #expect(try self.verify(Self.body(Self.baseFields, cverify: signature.lowercased())).receipt == "LEGACY01")
    }

    @Test func everyAlteredFieldBreaksCverify() {
        let signature = LegacyCverify.compute(fields: Self.baseFields, secretKey: Self.secretKey)
        for index in Self.baseFields.indices {
            var altered = Self.baseFields
            altered[index].value += "x"
            #expect(throws: IPNFailure.badCverify) { try self.verify(Self.body(altered, cverify: signature)) }
        }
        // An added field is signed too.
        #expect(throws: IPNFailure.badCverify) {
            try self.verify(Self.body(Self.baseFields + [(name: "cextra", value: "")], cverify: signature))
        }
        #expect(throws: IPNFailure.badCverify) {
            try IPNVerifier.verify(body: Self.body(Self.baseFields), contentType: nil, secretKey: "OTHERKEY")
        }
        #expect(throws: IPNFailure.badCverify) { try self.verify(Self.body(Self.baseFields, cverify: "")) }
    }

    /// The value order in the signature follows sorted names, not posted order.
    @Test func postedOrderDoesNotMatter() throws {
        let signature = LegacyCverify.compute(fields: Self.baseFields, secretKey: Self.secretKey)
        #expect(try self.verify(Self.body(Self.baseFields.reversed(), cverify: signature)).receipt == "LEGACY01")
    }

    @Test func malformedPostsAreRejected() {
        var withoutCverify = Self.baseFields.map { "\($0.name)=\(formEncode($0.value))" }.joined(separator: "&")
        #expect(throws: IPNFailure.malformedBody("the form post has no cverify field")) {
            try self.verify(Array(withoutCverify.utf8))
        }
        withoutCverify += "&cverify=ZZ%G1"
        #expect(throws: IPNFailure.malformedBody("the form body has a bad %-escape or field name")) {
            try self.verify(Array(withoutCverify.utf8))
        }
        let duplicated = Self.body(Self.baseFields + [(name: "ctransreceipt", value: "OTHER")])
        #expect(throws: IPNFailure.malformedBody("the form repeats the field ctransreceipt")) {
            try self.verify(duplicated)
        }
        #expect(throws: IPNFailure.malformedBody("expected a JSON object or a form post with cverify")) {
            try IPNVerifier.verify(body: Array("hello".utf8), contentType: "text/plain", secretKey: Self.secretKey)
        }
        #expect(throws: IPNFailure.malformedBody("the body is empty")) {
            try IPNVerifier.verify(body: [], contentType: nil, secretKey: Self.secretKey)
        }
    }

    @Test func missingOrBadRequiredFieldsAreSchemaErrors() {
        let withoutReceipt = Self.baseFields.filter { $0.name != "ctransreceipt" }
        #expect(throws: IPNFailure.schema("ctransreceipt is required")) { try self.verify(Self.body(withoutReceipt)) }
        let badTime = Self.baseFields.map { $0.name == "ctranstime" ? (name: $0.name, value: "2024-03-05") : $0 }
        #expect(throws: IPNFailure.schema("ctranstime must be Unix seconds")) { try self.verify(Self.body(badTime)) }
        let badAmount = Self.baseFields.map { $0.name == "caccountamount" ? (name: $0.name, value: "12,00") : $0 }
        #expect(throws: IPNFailure.schema("caccountamount must be whole cents")) {
            try self.verify(Self.body(badAmount))
        }
    }

    /// Bytes that are not UTF-8 (an old Latin-1 post) are signed as sent and read as ISO-8859-1.
    @Test func latin1ValuesAreSignedAsBytes() throws {
        // Compute the signature over the Latin-1 byte 0xE9 by hand: sorted names are
        // ccustname, ctransaction, ctransreceipt, ctranstime.
        var message: [UInt8] = Array("Jos".utf8) + [0xE9]
        message += Array("|SALE|LATIN001|1709676207|\(Self.secretKey)".utf8)
        let expected = LegacyCverifyReference.cverify(message)
        let body = "ccustname=Jos%E9&ctransaction=SALE&ctransreceipt=LATIN001&ctranstime=1709676207&cverify=\(expected)"
        let notification = try self.verify(Array(body.utf8))
        #expect(notification.billing?.fullName == "José")
    }
}

extension LegacyFormTests {
    /// A sender-chosen field name goes into the operator's detail only as printable ASCII.
    @Test func repeatedFieldNameIsSanitisedInTheDetail() {
        let name = "cx\nFAKE LOG LINE"
        let body = Self.body(Self.baseFields + [(name: name, value: "1"), (name: name, value: "2")])
        #expect(throws: IPNFailure.malformedBody("the form repeats the field cxFAKELOGLINE")) { try self.verify(body) }
    }
}
