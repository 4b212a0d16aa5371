import ClickBank
import Testing

/// Schema validation of decrypted documents, using bodies encrypted the way ClickBank does.
@Suite struct NotificationSchemaTests {
    static let secretKey = "SCHEMAKEY0000001"

    /// A minimal valid v7 document with `extra` spliced in before the closing brace.
    static func document(replacing old: String = "", with new: String = "", extra: String = "") -> String {
        var text =
            #"{"transactionTime":"20240305T140327-0800","receipt":"ABCD1234","transactionType":"SALE","vendor":"SynthVend","role":"VENDOR","totalAccountAmount":0.1,"lineItems":[{"itemNo":"1","accountAmount":0.2,"quantity":1}],"version":7.0,"attemptCount":1}"#
        if !old.isEmpty { text = text.replacing(old, with: new) }
        if !extra.isEmpty { text = String(text.dropLast()) + "," + extra + "}" }
        return text
    }

    func verify(_ plaintext: String, expectedVendor: String? = nil) throws(IPNFailure) -> ClickBankNotification {
        try IPNVerifier.verify(
            body: IPNVerifier.encryptedBody(plaintext: plaintext, secretKey: Self.secretKey),
            contentType: "application/json", secretKey: Self.secretKey, expectedVendor: expectedVendor
        )
    }

    @Test func minimalDocumentIsAccepted() throws {
        let notification = try self.verify(Self.document())
        #expect(notification.receipt == "ABCD1234")
        #expect(notification.version == "7.0")
        #expect(notification.affiliate == nil)
        #expect(notification.billing == nil)
        #expect(notification.trackingCodes.isEmpty)
        #expect(notification.documentJSON == Self.document())
    }

    /// Amounts never pass through Double: 0.1 + 0.2 is exactly 0.3, and trailing zeros are preserved.
    @Test func amountsAreExact() throws {
        let notification = try self.verify(Self.document())
        let total = try #require(notification.totalAccountAmount)
        let line = try #require(notification.lineItems.first?.accountAmount)
        #expect(total == ExactDecimal(units: 1, scale: 1))
        #expect(line == ExactDecimal(units: 2, scale: 1))
        let sum = try #require(total.adding(line))
        #expect(sum.units == 3 && sum.scale == 1)
        #expect(sum.description == "0.30")
        #expect(sum.isNumericallyEqual(to: ExactDecimal(parsing: "0.300")!))

        let big = try self.verify(Self.document(replacing: "0.1", with: "92233720368547758.07"))
        #expect(big.totalAccountAmount == ExactDecimal(units: Int64.max, scale: 2))
        let precise = try self.verify(Self.document(replacing: "0.1", with: "1234567.891"))
        #expect(precise.totalAccountAmount?.description == "1234567.891")
        #expect(ExactDecimal(units: Int64.max, scale: 0).adding(ExactDecimal(units: 1, scale: 0)) == nil)
    }

    @Test(arguments: ["1e2", "1.5E-1", "92233720368547758.08"])
    func amountsThatCannotBeExactAreSchemaErrors(text: String) {
        #expect(
            throws: IPNFailure.schema(
                "totalAccountAmount must be a plain decimal amount (no exponent, at most 18 decimals)")
        ) {
            try self.verify(Self.document(replacing: "0.1", with: text))
        }
    }

    @Test(arguments: ["transactionTime", "receipt", "transactionType", "vendor", "role", "lineItems", "version"])
    func requiredKeysMustBePresent(key: String) throws {
        // Rename the key so the document stays valid JSON but lacks it.
        let document = Self.document(replacing: "\"\(key)\":", with: "\"x\(key)\":")
        let error = #expect(throws: IPNFailure.self) { try self.verify(document) }
        #expect(error == .schema("\(key) is required"))
    }

    @Test(arguments: [
        (#""receipt":"ABCD1234""#, #""receipt":12"#, "receipt must be a string, got number"),
        (#""receipt":"ABCD1234""#, #""receipt":"""#, "receipt must not be empty"),
        (#""vendor":"SynthVend""#, #""vendor":null"#, "vendor is required"),
        (
            #""lineItems":[{"itemNo":"1","accountAmount":0.2,"quantity":1}]"#, #""lineItems":{}"#,
            "lineItems must be an array, got object"
        ),
        (
            #"{"itemNo":"1","accountAmount":0.2,"quantity":1}"#, #"{"accountAmount":0.2}"#,
            "lineItems[0].itemNo is required"
        ),
        (#"{"itemNo":"1","accountAmount":0.2,"quantity":1}"#, "7", "lineItems[0] must be an object, got number"),
        (#""quantity":1"#, #""quantity":1.5"#, "lineItems[0].quantity must be a whole number, got number"),
        (#""attemptCount":1"#, #""attemptCount":0"#, "attemptCount must be at least 1"),
        (#""attemptCount":1"#, #""attemptCount":"1""#, "attemptCount must be a whole number, got string"),
        (
            #""transactionTime":"20240305T140327-0800""#, #""transactionTime":"yesterday""#,
            "transactionTime must be an ISO 8601 date-time with a UTC offset"
        ),
        (
            #""totalAccountAmount":0.1"#, #""totalAccountAmount":true"#,
            "totalAccountAmount must be a number, got boolean"
        ),
    ])
    func wrongTypesAreSchemaErrors(old: String, new: String, detail: String) {
        #expect(throws: IPNFailure.schema(detail)) { try self.verify(Self.document(replacing: old, with: new)) }
    }

    @Test func nestedTypesAreChecked() {
        #expect(throws: IPNFailure.schema("customer.billing.email must be a string, got array")) {
            try self.verify(Self.document(extra: #""customer":{"billing":{"email":["x@example.com"]}}"#))
        }
        #expect(throws: IPNFailure.schema("trackingCodes[1] must be a string, got object")) {
            try self.verify(Self.document(extra: #""trackingCodes":["a",{}]"#))
        }
        #expect(throws: IPNFailure.schema("document must be an object, got array")) {
            try self.verify("[1,2]")
        }
    }

    /// A schema error names the path, never the customer's value.
    @Test func schemaDetailsNeverContainCustomerData() {
        let error = #expect(throws: IPNFailure.self) {
            try self.verify(
                Self.document(extra: #""customer":{"billing":{"email":"alex@example.com","fullName":7,"address":[]}}"#))
        }
        #expect(error?.detail.contains("example.com") == false)
        #expect(error?.detail.contains(Self.secretKey) == false)
    }

    @Test func unknownFieldsAndTypesAreKept() throws {
        let document = Self.document(
            replacing: #""transactionType":"SALE""#, with: #""transactionType":"NEW_EVENT_2030""#,
            extra: #""futureField":{"nested":[1,2,3]},"hopfeed":{"hopfeedClickId":"x"}"#
        )
        let notification = try self.verify(document)
        #expect(notification.transactionType == "NEW_EVENT_2030")
        #expect(notification.kind == .other)
        #expect(notification.documentJSON == document)
        #expect(
            try JSONValue.parse(notification.documentJSON)["futureField"]?["nested"]
                == .array([.number("1"), .number("2"), .number("3")]))
    }

    @Test func absentAttemptCountMeansFirstDelivery() throws {
        let notification = try self.verify(Self.document(replacing: #","attemptCount":1"#, with: ""))
        #expect(notification.attemptCount == 1)
    }

    @Test func vendorIsComparedCaseInsensitively() throws {
        #expect(try self.verify(Self.document(), expectedVendor: "synthvend").vendor == "SynthVend")
        #expect(throws: IPNFailure.vendorMismatch(expected: "othervend", got: "SynthVend")) {
            try self.verify(Self.document(), expectedVendor: "othervend")
        }
    }

    @Test func vendorVariablesKeepOrderAndNeverReject() throws {
        let notification = try self.verify(
            Self.document(extra: #""vendorVariables":{"z":"1","a":2,"m":null,"o":{"k":true}}"#))
        #expect(notification.vendorVariables.map(\.key) == ["z", "a", "m", "o"])
        #expect(notification.vendorVariables.map(\.value) == ["1", "2", "", #"{"k":true}"#])
    }

    @Test func lineItemsMayBeEmptyAndStillHaveAnIdentity() throws {
        let notification = try self.verify(
            Self.document(replacing: #"[{"itemNo":"1","accountAmount":0.2,"quantity":1}]"#, with: "[]"))
        let identities = notification.eventIdentities()
        #expect(
            identities == [
                EventIdentity(
                    account: "synthvend", role: "VENDOR", receipt: "ABCD1234", transactionType: "SALE",
                    instantMilliseconds: 1_709_676_207_000, itemNo: ""
                )
            ])
    }

    /// Same event written in another offset is the same instant, so the same identity.
    @Test func identityUsesTheInstantNotTheText() throws {
        let pacific = try self.verify(Self.document())
        let utc = try self.verify(Self.document(replacing: "20240305T140327-0800", with: "2024-03-05T22:03:27Z"))
        #expect(pacific.eventIdentities() == utc.eventIdentities())
        let later = try self.verify(Self.document(replacing: "20240305T140327-0800", with: "20240305T140328-0800"))
        #expect(pacific.eventIdentities() != later.eventIdentities())
    }
}
