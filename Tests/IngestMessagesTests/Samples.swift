import IngestMessages

/// Messages with every field set to a non-default value, so a field the mapping forgets in either direction comes
/// back different.
enum Samples {
    static let unicode = "Zoë Ångström – 東京 🚀 \u{10FFFF}"

    static let callError = CallError(code: 5, message: "account \(unicode) not found")

    static let storeSecretRequest = StoreSecretRequest(
        tenantId: "t-100", account: "acme", secretKey: "S3CR3TKEY0123456789ABCDEFGHIJKLM",
        previousKeyGraceSeconds: 3600)

    static let storeSecretResponse = StoreSecretResponse(
        stored: true, warnings: ["key longer than 16 characters", "", unicode],
        previousKeyValidUntilMs: -1_700_000_000_000, replayedNotifications: 42, keyVersion: 7, error: callError)

    static let getWebhookURLRequest = GetWebhookURLRequest(
        tenantId: "t-100", account: "acme", rotateToken: true, previousTokenGraceSeconds: .max)

    static let getWebhookURLResponse = GetWebhookURLResponse(
        url: "https://hooks.example.com/cb/\(unicode)", secretStored: true, testSeen: true,
        testSeenAtMs: 1_700_000_000_123, lastNotificationAtMs: .max, acceptedNotifications: .max,
        rejectedNotifications: 3, previousUrlValidUntilMs: .min, previousUrl: "https://hooks.example.com/cb/old",
        error: CallError(code: 0, message: "only a message"))

    static let keyValue = KeyValue(key: "cbitems", value: unicode)

    static let address = Address(
        address1: "1 Main St", address2: "Apt 2", city: "Zürich", county: "ZH", state: "ZH", postalCode: "8001",
        country: "CH")

    static let contact = Contact(
        firstName: "Zoë", lastName: "Ångström", fullName: "Zoë Ångström", phoneNumber: "+41 44 000 00 00",
        email: "zoe@example.com", address: address)

    static let paymentPlan = PaymentPlan(
        rebillStatus: "ACTIVE", rebillFrequency: "MONTHLY", rebillAmount: "29.95", paymentsProcessed: 3,
        paymentsRemaining: -1, nextPaymentDate: "2024-07-01")

    static let lineItem = LineItem(
        itemNo: "1", productTitle: unicode, shippable: true, recurring: true, accountAmount: "-12.34", quantity: 2,
        downloadUrl: "https://example.com/dl", lineItemType: "STANDARD", paymentPlan: paymentPlan,
        productPrice: "47.00", productDiscount: "0.00", taxAmount: "3.76", shippingAmount: "5.00",
        shippingLiable: true, affiliatePayout: "20.00")

    static let upsell = Upsell(originalReceipt: "ABC123", flowId: "flow-1", session: "sess", path: "/a/b")

    static let notification = Notification(
        receipt: "RCPT1234", transactionType: "SALE", kind: .sale, vendor: "acme", role: "VENDOR", affiliate: "aff",
        transactionTimeMs: 1_700_000_000_000, utcOffsetMinutes: -420, transactionTimeText: "2023-11-14T14:13:20-07:00",
        currency: "USD", totalAccountAmount: "12.34", totalOrderAmount: "47.00", totalTaxAmount: "3.76",
        totalShippingAmount: "5.00", paymentMethod: "VISA",
        lineItems: [lineItem, LineItem(itemNo: "2", quantity: 1), LineItem()],
        billing: contact, shipping: Contact(fullName: "Ship To", address: Address(country: "US")), upsell: upsell,
        trackingCodes: ["a", "", unicode], vendorVariables: [keyValue, KeyValue(key: "k2", value: ""), KeyValue()],
        attemptCount: 2, version: "8.0", orderLanguage: "de",
        documentJson: #"{"receipt":"RCPT1234","x":"\#(unicode)"}"#)

    static let verifyIPNRequest = VerifyIPNRequest(
        token: "tok_abc", tenantId: "t-100", account: "acme",
        body: Array(#"{"notification":"x","iv":"y"}"#.utf8) + [0, 255],
        contentType: "application/json; charset=utf-8", receivedAtMs: 1_700_000_000_999, omitNotification: true)

    static let verifyIPNResponse = VerifyIPNResponse(
        verified: true, failure: .vendorMismatch, failureDetail: "vendor \(unicode)", duplicate: true,
        notification: notification, keyVersion: 9, test: true, deliveryId: .max, error: callError)

    static let importCSVRequest = ImportCSVRequest(
        uploadId: "6f1c0e9e-3b1a-4c59-9d0b-0a4c3e1f2a77", tenantId: "t-100", account: "acme",
        fileName: "orders-\(unicode).csv", offset: 1 << 40, data: Array("Receipt,Date\nABC,2024-01-01\n".utf8),
        lastChunk: true, timeZone: "Europe/Zurich", statusOnly: true)

    static let rejectedRow = RejectedRow(fileName: "a.csv", line: 17, reason: "bad date \(unicode)")

    static let fileSummary = FileSummary(
        fileName: "a.csv", committedOffset: 4096, complete: true, rowsRead: 10, inserted: 6, duplicatesInImport: 1,
        alreadyPresent: 1, alreadyFromWebhook: 1, rejected: 1)

    static let importCSVResponse = ImportCSVResponse(
        uploadId: "u-1", fileName: "a.csv", committedOffset: 4096,
        files: [fileSummary, FileSummary(fileName: "b.csv"), FileSummary()], rowsRead: 10, inserted: 6,
        duplicatesInImport: 1, alreadyPresent: 1, alreadyFromWebhook: 1, rejected: 1,
        rejections: [rejectedRow, RejectedRow(line: 1)], rejectionsNotListed: .max, final: true, error: callError)

    static let healthCheckRequest = HealthCheckRequest(service: "database")

    static let healthCheckResponse = HealthCheckResponse(status: .notServing, error: callError)

    static let hello = Hello(protocolVersion: 1, authToken: "sekrit-token", clientName: "cbingest-swift \(unicode)")

    static let helloReply = HelloReply(
        protocolVersion: 1, maxMessageBytes: 4 << 20, maxInFlightCalls: 128, serverName: "cbingest")

    static let requestEnvelope = RequestEnvelope(
        message: storeSecretRequest.serializedBytes(), timeoutMs: 2500, flags: 3)

    static let replyEnvelope = ReplyEnvelope(
        message: storeSecretResponse.serializedBytes(), errorMessage: "deadline \(unicode)", flags: 1, credit: 16)
}
