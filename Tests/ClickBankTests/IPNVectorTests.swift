import ClickBank
import Foundation
import Testing

/// Every vector in `../shared/vectors/ipn/`, positive and negative.
@Suite struct IPNVectorTests {
    @Test func indexListsEveryVectorFile() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: IPNVector.directory.path)
            .filter { $0.hasSuffix(".json") && $0 != "index.json" }
        #expect(!IPNVector.index.isEmpty)
        #expect(Set(files) == Set(IPNVector.index.map(\.file)))
    }

    @Test(arguments: IPNVector.files { $0 == "ok" })
    func positiveVectorDecryptsExactly(file: String) throws {
        let vector = try IPNVector.load(file)
        let notification = try IPNVerifier.verify(
            body: vector.body, contentType: vector.request.content_type, secretKey: vector.secretKey,
            expectedVendor: "synthvend"
        )
        #expect(notification.format == .encryptedJSON)
        #expect(notification.documentJSON == vector.expected.plaintext)

        let summary = try #require(vector.summary)
        #expect(notification.receipt == summary.receipt)
        #expect(notification.transactionType == summary.transactionType)
        #expect(notification.role == summary.role)
        #expect(notification.version == summary.version)
        #expect(notification.transactionTime.text == summary.transactionTime)
        #expect(notification.totalAccountAmount?.description == summary.totalAccountAmount)
        #expect(notification.lineItems.map { [$0.itemNo, $0.lineItemType ?? ""] } == summary.lineItems)
        #expect(notification.attemptCount == summary.attemptCount)
        #expect(notification.kind == TransactionKind(transactionType: summary.transactionType))
        #expect(notification.isTestIPN == (summary.transactionType == "TEST"))
        #expect(notification.eventIdentities().count == summary.lineItems.count)
    }

    /// The expected outcome names of the vectors, mapped to `IPNFailure` cases.
    @Test(arguments: IPNVector.files { $0 != "ok" && !$0.hasPrefix("cverify") })
    func negativeVectorFailsForTheRightReason(file: String) throws {
        let vector = try IPNVector.load(file)
        let outcome = try #require(vector.expected.outcome)
        let error = #expect(throws: IPNFailure.self) {
            try IPNVerifier.verify(
                body: vector.body, contentType: vector.request.content_type, secretKey: vector.secretKey)
        }
        let failure = try #require(error)
        switch outcome {
        case "bad_padding": #expect(failure == .badPadding)
        case "bad_utf8", "bad_json": #expect(failure == .notUTF8 || failure == .notJSON)
        case "bad_iv_length": #expect(failure == .badIVLength)
        case "bad_base64": #expect(failure == .badBase64)
        case "missing_field":
            guard case .malformedBody = failure else {
                Issue.record("expected malformedBody, got \(failure)")
                return
            }
        case "schema":
            guard case .schema(let detail) = failure else {
                Issue.record("expected schema, got \(failure)")
                return
            }
            #expect(detail.contains("transactionTime"))
        default:
            Issue.record("unmapped vector outcome \(outcome)")
        }
        #expect(!failure.detail.contains(vector.secretKey))
        #expect(!failure.detail.contains("@"))
    }

    @Test func legacyVectorWithValidCverifyMaps() throws {
        let vector = try IPNVector.load("legacy_v4_sale.json")
        #expect(vector.expected.cverify_valid == true)
        let fields = (vector.request.fields ?? [:]).map { (name: $0.key, value: $0.value) }
        #expect(LegacyCverify.compute(fields: fields, secretKey: vector.secretKey) == vector.expected.cverify)

        let notification = try IPNVerifier.verify(
            body: vector.body, contentType: vector.request.content_type, secretKey: vector.secretKey,
            expectedVendor: "SYNTHVEND"
        )
        #expect(notification.format == .legacyForm)
        #expect(notification.receipt == "SYNTH008")
        #expect(notification.transactionType == "SALE")
        #expect(notification.kind == .sale)
        #expect(notification.vendor == "synthvend")
        #expect(notification.role == "VENDOR")
        #expect(notification.affiliate == nil)
        #expect(notification.transactionTime.unixMilliseconds == 1_709_676_207_000)
        #expect(notification.totalAccountAmount == ExactDecimal(units: 3196, scale: 2))
        #expect(notification.totalOrderAmount?.description == "47.00")
        #expect(notification.currency == "USD")
        #expect(notification.paymentMethod == "VISA")
        #expect(notification.version == "4.0")
        #expect(notification.lineItems.count == 1)
        #expect(notification.lineItems.first?.itemNo == "1")
        #expect(notification.lineItems.first?.productTitle == "Keto Guide, 2nd Edition")
        #expect(notification.billing?.fullName == "José Müller")
        #expect(notification.billing?.address?.country == "DE")
        #expect(notification.billing?.address?.postalCode == "10115")
        #expect(notification.upsell == nil)
        let document = try JSONValue.parse(notification.documentJSON)
        #expect(document["ctransreceipt"] == .string("SYNTH008"))
        #expect(document["ccustfullname"] == .string("José Müller"))
    }

    @Test func legacyVectorWithAlteredAmountFailsCverify() throws {
        let vector = try IPNVector.load("legacy_v4_bad_cverify.json")
        #expect(vector.expected.cverify_valid == false)
        #expect(throws: IPNFailure.badCverify) {
            try IPNVerifier.verify(
                body: vector.body, contentType: vector.request.content_type, secretKey: vector.secretKey)
        }
    }

    @Test func redeliveryHasTheSameIdentity() throws {
        let first = try self.verify("v7_sale_vendor.json")
        let retry = try self.verify("v7_sale_vendor_retry3.json")
        #expect(first.attemptCount == 1)
        #expect(retry.attemptCount == 3)
        #expect(first.eventIdentities() == retry.eventIdentities())
    }

    /// The legacy v4 sale is 2024-03-05 14:03:27 Pacific, the same instant as the v6 and v7 vectors.
    @Test func sameInstantAcrossVersions() throws {
        let v7 = try self.verify("v7_sale_vendor.json")
        let v6 = try self.verify("v6_sale_affiliate.json")
        #expect(v7.transactionTime.unixMilliseconds == 1_709_676_207_000)
        #expect(v6.transactionTime.unixMilliseconds == v7.transactionTime.unixMilliseconds)
        #expect(v7.transactionTime.utcOffsetMinutes == -480)
    }

    @Test func rawAndEscapedNonASCIIGiveTheSameNotification() throws {
        let raw = try self.verify("v7_nonascii_utf8.json")
        let escaped = try self.verify("v7_nonascii_escaped.json")
        #expect(raw.billing == escaped.billing)
        #expect(raw.shipping == escaped.shipping)
        #expect(raw.lineItems == escaped.lineItems)
        #expect(raw.shipping?.fullName == "Zoë Łukasiewicz-Müller")
        #expect(raw.shipping?.address?.city == "Łódź")
        #expect(raw.lineItems.first?.productTitle == "Grundkurs Ernährung – Übungen, Rezepte & mehr")
    }

    @Test func cartBumpRebillUpsellAndAffiliateDetails() throws {
        let cart = try self.verify("v7_sale_cart_bump.json")
        #expect(cart.lineItems.map(\.itemNo) == ["1", "bump1"])
        #expect(cart.lineItems[1].productTitle == "Bonus \"Quick Start\" Cards")
        #expect(cart.trackingCodes == ["fb_ad12", "retarget"])
        #expect(Set(cart.eventIdentities().map(\.itemNo)) == ["1", "bump1"])

        let rebill = try self.verify("v7_bill_rebill.json")
        let plan = try #require(rebill.lineItems.first?.paymentPlan)
        #expect(plan.rebillStatus == "ACTIVE")
        #expect(plan.rebillAmount?.description == "29.95")
        #expect(plan.paymentsProcessed == 2)
        #expect(plan.paymentsRemaining == 997)
        #expect(
            plan.nextPaymentTime?.unixMilliseconds == ClickBankTime(iso8601: "2024-06-05T16:15:00Z")?.unixMilliseconds)

        let upsell = try self.verify("v7_upsell.json")
        #expect(
            upsell.upsell
                == ClickBankNotification.Upsell(
                    originalReceipt: "SYNTH001", flowId: "4242", session: "SYNTH001AB", path: "a"))

        let affiliate = try self.verify("v6_sale_affiliate.json")
        #expect(affiliate.upsell == nil)  // sent as {}
        #expect(affiliate.billing?.email == nil)
        #expect(affiliate.billing?.address?.postalCode == "94105")
        #expect(affiliate.receivingAccount == "superaff1")
        #expect(affiliate.eventIdentities().first?.account == "superaff1")

        let vendor = try self.verify("v7_sale_vendor.json")
        #expect(
            vendor.vendorVariables == [
                VendorVariable(key: "v1", value: "spring"), VendorVariable(key: "cbfid", value: "77"),
            ])
        #expect(vendor.lineItems.first?.affiliatePayout?.description == "11.75")
        #expect(vendor.eventIdentities(account: "SynthVend").first?.account == "synthvend")

        let refund = try self.verify("v7_refund.json")
        #expect(refund.kind == .refund)
        #expect(refund.totalAccountAmount == ExactDecimal(units: -3196, scale: 2))
        #expect(refund.eventIdentities() != vendor.eventIdentities())

        let test = try self.verify("v7_test_button.json")
        #expect(test.isTestIPN)
        #expect(test.receipt == "********")
        #expect(test.billing?.address == ClickBankNotification.Address())
    }

    @Test func vendorMismatchIsReported() throws {
        let vector = try IPNVector.load("v7_sale_vendor.json")
        #expect(throws: IPNFailure.vendorMismatch(expected: "othervendor", got: "synthvend")) {
            try IPNVerifier.verify(
                body: vector.body, contentType: nil, secretKey: vector.secretKey, expectedVendor: "othervendor")
        }
        let legacy = try IPNVector.load("legacy_v4_sale.json")
        #expect(throws: IPNFailure.vendorMismatch(expected: "othervendor", got: "synthvend")) {
            try IPNVerifier.verify(
                body: legacy.body, contentType: nil, secretKey: legacy.secretKey, expectedVendor: "othervendor")
        }
    }

    /// The spec says to read the body as JSON whatever the Content-Type says.
    @Test func contentTypeIsNotTrustedForJSON() throws {
        let vector = try IPNVector.load("v7_sale_vendor.json")
        for contentType in [nil, "text/plain", "application/x-www-form-urlencoded"] {
            let notification = try IPNVerifier.verify(
                body: vector.body, contentType: contentType, secretKey: vector.secretKey)
            #expect(notification.receipt == "SYNTH001")
        }
    }

    private func verify(_ file: String) throws -> ClickBankNotification {
        let vector = try IPNVector.load(file)
        return try IPNVerifier.verify(
            body: vector.body, contentType: vector.request.content_type, secretKey: vector.secretKey)
    }
}
