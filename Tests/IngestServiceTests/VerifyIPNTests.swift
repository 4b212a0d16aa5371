import ClickBank
import Foundation
import IngestClient
import IngestService
import IngestStore
import LibPQ
import TestSupport
import Testing

/// VerifyIPN through the RPC service with a real PostgreSQL: every shared vector, dedup, rotation,
/// Test IPN, replay.
@Suite(.requiresDatabase, .timeLimit(.minutes(3)))
struct VerifyIPNTests {
    /// A fresh tenant with the vector's key stored for the vector's account; returns its token.
    static func endpoint(_ service: RunningService, account: String, secret: String?) async throws -> (tenant: String, token: String) {
        let tenant = ServiceTestDatabase.uniqueTenant()
        if let secret {
            _ = try await service.client.storeSecret(tenantID: tenant, account: account, secretKey: secret)
        }
        let url = try await service.client.getWebhookURL(tenantID: tenant, account: account).url
        return (tenant, String(url.split(separator: "/").last!))
    }

    static func verify(_ service: RunningService, token: String, _ vector: IPNVector) async throws -> VerifyIPNResponse {
        var request = VerifyIPNRequest()
        request.token = token
        request.body = vector.body
        request.contentType = vector.contentType
        return try await service.client.verifyIPN(request)
    }

    static func expectedFailure(_ outcome: String) -> Set<VerifyFailure> {
        switch outcome {
        case "bad_base64": [.badBase64]
        case "bad_iv_length": [.badIvLength]
        case "missing_field": [.malformedBody]
        case "bad_padding": [.badPadding]
        case "bad_utf8": [.notUtf8, .notJson]
        case "schema": [.schema]
        case "cverify_invalid": [.badCverify]
        default: []
        }
    }

    @Test func everySharedVectorIsFound() {
        #expect(IPNVector.all.count == 23)
    }

    @Test(arguments: IPNVector.all)
    func vectorThroughVerifyIPN(_ vector: IPNVector) async throws {
        try await withService { service in
            let (tenant, token) = try await Self.endpoint(service, account: vector.account, secret: vector.secretKey)
            let response = try await Self.verify(service, token: token, vector)
            let connection = try ServiceTestDatabase.connect()
            let deliveries = try connection.execute(
                """
                SELECT b.body, d.status, d.failure FROM ipn_deliveries d
                JOIN ipn_delivery_bodies b ON b.tenant_id = d.tenant_id AND b.delivery_id = d.id
                WHERE d.tenant_id = $1
                """,
                [.text(tenant)]
            )
            #expect(deliveries.rowCount == 1, "the raw body is stored whatever the outcome")
            #expect(deliveries.bytes(row: 0, column: 0) == vector.body, "stored exactly as received")

            if vector.isPositive {
                #expect(response.verified, "\(response.failure) \(response.failureDetail)")
                #expect(deliveries[0, 1] == "verified")
                #expect(response.keyVersion == 1)
                let notification = try #require(response.notification)
                if let plaintext = vector.plaintext {
                    #expect(notification.receipt == plaintext["receipt"])
                    #expect(notification.transactionType == plaintext["transactionType"])
                    #expect(notification.vendor == plaintext["vendor"])
                    #expect(!notification.documentJson.isEmpty)
                }
                let events = try connection.execute("SELECT count(*) FROM events WHERE tenant_id = $1", [.text(tenant)])
                #expect(events[0, 0] == (response.test ? "0" : "1"))
            } else {
                #expect(response.verified == false)
                #expect(Self.expectedFailure(vector.outcome).contains(response.failure), "\(vector.file): got \(response.failure)")
                #expect(!response.failureDetail.isEmpty)
                #expect(!response.failureDetail.contains(vector.secretKey))
                #expect(deliveries[0, 1] == "failed")
                let events = try connection.execute("SELECT count(*) FROM events WHERE tenant_id = $1", [.text(tenant)])
                #expect(events[0, 0] == "0")
            }
            let state = try await service.client.getWebhookURL(tenantID: tenant, account: vector.account)
            #expect(state.acceptedNotifications == (vector.isPositive ? 1 : 0))
            #expect(state.rejectedNotifications == (vector.isPositive ? 0 : 1))
            #expect(state.lastNotificationAtMs > 0)
        }
    }

    @Test func redeliveryAndConcurrentDuplicatesMakeOneEvent() async throws {
        try await withService { service in
            let sale = try IPNVector.named("v7_sale_vendor")
            let retry = try IPNVector.named("v7_sale_vendor_retry3")
            let (tenant, token) = try await Self.endpoint(service, account: "synthvend", secret: sale.secretKey)
            let first = try await Self.verify(service, token: token, sale)
            #expect(first.verified && !first.duplicate)
            let second = try await Self.verify(service, token: token, retry)
            #expect(second.verified && second.duplicate, "attemptCount 3 with a new IV is the same event")

            let concurrent = try await withThrowingTaskGroup(of: VerifyIPNResponse.self) { group in
                let cart = try IPNVector.named("v7_sale_cart_bump")
                for _ in 0..<20 {
                    group.addTask { try await Self.verify(service, token: token, cart) }
                }
                return try await group.reduce(into: [VerifyIPNResponse]()) { $0.append($1) }
            }
            #expect(concurrent.allSatisfy { $0.verified })
            #expect(concurrent.filter { !$0.duplicate }.count == 1)

            let connection = try ServiceTestDatabase.connect()
            let events = try connection.execute(
                "SELECT receipt, count(*) FROM events WHERE tenant_id = $1 GROUP BY receipt ORDER BY receipt", [.text(tenant)]
            )
            #expect(events.rowCount == 2)
            #expect(events[0, 0] == "SYNTH001" && events[0, 1] == "1")
            #expect(events[1, 0] == "SYNTH002" && events[1, 1] == "1")
            let lines = try connection.execute(
                """
                SELECT count(*) FROM event_lines l JOIN events e ON e.tenant_id = l.tenant_id AND e.id = l.event_id
                WHERE l.tenant_id = $1 AND e.receipt = 'SYNTH002'
                """,
                [.text(tenant)]
            )
            #expect(lines[0, 0] == "2", "one order, two line items")
            let deliveries = try connection.execute("SELECT count(*) FROM ipn_deliveries WHERE tenant_id = $1", [.text(tenant)])
            #expect(deliveries[0, 0] == "22", "every delivery is kept")
            let state = try await service.client.getWebhookURL(tenantID: tenant, account: "synthvend")
            #expect(state.acceptedNotifications == 22)
        }
    }

    @Test func refundIsStoredAsMoneyOut() async throws {
        try await withService { service in
            let (tenant, token) = try await Self.endpoint(service, account: "synthvend", secret: "SYNTHKEY0000TEST")
            _ = try await Self.verify(service, token: token, try IPNVector.named("v7_sale_vendor"))
            _ = try await Self.verify(service, token: token, try IPNVector.named("v7_refund"))
            let rows = try ServiceTestDatabase.connect().execute(
                "SELECT transaction_type, total_account_amount::text FROM events WHERE tenant_id = $1 ORDER BY transaction_time_ms",
                [.text(tenant)]
            )
            #expect(rows.rowCount == 2)
            #expect(rows[0, 0] == "SALE" && rows[0, 1]?.hasPrefix("-") == false)
            #expect(rows[1, 0] == "RFND" && rows[1, 1]?.hasPrefix("-") == true)
        }
    }

    @Test func omitNotificationLeavesOnlyTheNormalisedNotificationOut() async throws {
        try await withService { service in
            let (tenant, token) = try await Self.endpoint(service, account: "synthvend", secret: "SYNTHKEY0000TEST")
            let vector = try IPNVector.named("v7_sale_vendor")
            var request = VerifyIPNRequest()
            request.token = token
            request.body = vector.body
            request.contentType = vector.contentType
            request.omitNotification = true
            let lean = try await service.client.verifyIPN(request)
            #expect(lean.verified && !lean.duplicate && lean.keyVersion == 1 && lean.deliveryId > 0)
            #expect(lean.notification == nil)
            // Recorded all the same; the same body again, asking for the notification, gets it.
            let full = try await Self.verify(service, token: token, vector)
            #expect(full.verified && full.duplicate)
            #expect(full.notification?.receipt.isEmpty == false)
            let events = try ServiceTestDatabase.connect().execute(
                "SELECT count(*) FROM events WHERE tenant_id = $1", [.text(tenant)]
            )
            #expect(events[0, 0] == "1")
        }
    }

    @Test func testIPNMarksTheEndpointVerifiedWithoutASale() async throws {
        try await withService { service in
            let vector = try IPNVector.named("v7_test_button")
            let (tenant, token) = try await Self.endpoint(service, account: "synthvend", secret: vector.secretKey)
            let before = try await service.client.getWebhookURL(tenantID: tenant, account: "synthvend")
            #expect(!before.testSeen)
            let response = try await Self.verify(service, token: token, vector)
            #expect(response.verified && response.test)
            let after = try await service.client.getWebhookURL(tenantID: tenant, account: "synthvend")
            #expect(after.testSeen)
            #expect(after.testSeenAtMs > 0)
            let events = try ServiceTestDatabase.connect().execute("SELECT count(*) FROM events WHERE tenant_id = $1", [.text(tenant)])
            #expect(events[0, 0] == "0")
        }
    }

    @Test func previousKeyVerifiesInsideItsGraceAndNotAfter() async throws {
        try await withService { service in
            let oldKey = "OLDKEY111"
            let newKey = "NEWKEY222"
            let (tenant, token) = try await Self.endpoint(service, account: "synthvend", secret: oldKey)
            var rotate = StoreSecretRequest()
            rotate.tenantId = tenant
            rotate.account = "synthvend"
            rotate.secretKey = newKey
            rotate.previousKeyGraceSeconds = 2
            _ = try await service.client.storeSecret(rotate)

            func body(receipt: String, key: String) throws -> IPNVector {
                var vector = try IPNVector.named("v7_sale_vendor")
                let document = try Self.document(of: "v7_sale_vendor").replacingOccurrences(of: "SYNTH001", with: receipt)
                vector.body = IPNVerifier.encryptedBody(plaintext: document, secretKey: key)
                return vector
            }
            let signedWithOld = try await Self.verify(service, token: token, try body(receipt: "ROT00001", key: oldKey))
            #expect(signedWithOld.verified)
            #expect(signedWithOld.keyVersion == 1, "the previous key, inside its grace period")
            let signedWithNew = try await Self.verify(service, token: token, try body(receipt: "ROT00002", key: newKey))
            #expect(signedWithNew.verified && signedWithNew.keyVersion == 2)

            try await Task.sleep(for: .milliseconds(2500))
            let late = try await Self.verify(service, token: token, try body(receipt: "ROT00003", key: oldKey))
            #expect(!late.verified, "outside the grace period the old key no longer verifies")
            #expect(late.failure == .badPadding || late.failure == .notUtf8 || late.failure == .notJson)
        }
    }

    @Test func notificationsBeforeTheSecretAreKeptAndReplayedWhenItIsStored() async throws {
        try await withService { service in
            let (tenant, token) = try await Self.endpoint(service, account: "synthvend", secret: nil)
            let early = try await Self.verify(service, token: token, try IPNVector.named("v7_sale_vendor"))
            #expect(!early.verified)
            #expect(early.failure == .noSecret)
            let wrongKey = try await service.client.storeSecret(tenantID: tenant, account: "synthvend", secretKey: "WRONGKEY1")
            #expect(wrongKey.replayedNotifications == 0)
            var state = try await service.client.getWebhookURL(tenantID: tenant, account: "synthvend")
            #expect(state.rejectedNotifications == 1)

            let right = try await service.client.storeSecret(tenantID: tenant, account: "synthvend", secretKey: "SYNTHKEY0000TEST")
            #expect(right.replayedNotifications == 1)
            state = try await service.client.getWebhookURL(tenantID: tenant, account: "synthvend")
            #expect(state.acceptedNotifications == 1)
            #expect(state.rejectedNotifications == 0)
            let events = try ServiceTestDatabase.connect().execute("SELECT receipt FROM events WHERE tenant_id = $1", [.text(tenant)])
            #expect(events.rowCount == 1 && events[0, 0] == "SYNTH001")
            // Replaying again finds nothing more to do.
            let again = try await service.client.storeSecret(tenantID: tenant, account: "synthvend", secretKey: "SYNTHKEY0000TEST")
            #expect(again.replayedNotifications == 0)
        }
    }

    @Test func notificationForAnotherAccountIsRejected() async throws {
        try await withService { service in
            let (_, token) = try await Self.endpoint(service, account: "someoneelse", secret: "SYNTHKEY0000TEST")
            let response = try await Self.verify(service, token: token, try IPNVector.named("v7_sale_vendor"))
            #expect(!response.verified)
            #expect(response.failure == .vendorMismatch)
        }
    }

    @Test func unknownTokensAreNotFoundAndNotStored() async throws {
        try await withService { service in
            var request = VerifyIPNRequest()
            request.token = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
            request.body = try IPNVector.named("v7_sale_vendor").body
            await expectRPCError(.notFound) { _ = try await service.client.verifyIPN(request) }
            request.token = "../../etc/passwd"
            await expectRPCError(.notFound) { _ = try await service.client.verifyIPN(request) }
        }
    }

    @Test func oversizedAndEmptyBodiesAreRefused() async throws {
        try await withService { service in
            let (_, token) = try await Self.endpoint(service, account: "synthvend", secret: "SYNTHKEY0000TEST")
            var request = VerifyIPNRequest()
            request.token = token
            request.body = Array(repeating: UInt8(ascii: "a"), count: 64 * 1024 + 1)
            await expectRPCError(.resourceExhausted) { _ = try await service.client.verifyIPN(request) }
            request.body = []
            await expectRPCError(.invalidArgument) { _ = try await service.client.verifyIPN(request) }
        }
    }

    static func nowMs() -> Int64 {
        Int64(Date().timeIntervalSince1970 * 1000)
    }

    static func document(of name: String) throws -> String {
        let data = try Data(contentsOf: IPNVector.directory.appendingPathComponent(name + ".json"))
        let vector = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let expected = try #require(vector["expected"] as? [String: Any])
        return try #require(expected["plaintext"] as? String)
    }
}

@Suite(.requiresDatabase, .timeLimit(.minutes(2)))
struct RecoverySweepTests {
    @Test func deliveryStoredButNeverProcessedIsVerifiedByTheSweep() async throws {
        try await withService { service in
            let vector = try IPNVector.named("v7_upsell")
            let (tenant, _) = try await VerifyIPNTests.endpoint(service, account: "synthvend", secret: vector.secretKey)
            // As if the process died right after storing the raw body, two minutes ago.
            let store = try await IngestStore.connect(conninfo: ServiceTestDatabase.conninfo!, poolSize: 1)
            let id = try await store.recordDelivery(
                tenant: tenant, account: "synthvend", receivedAtMs: VerifyIPNTests.nowMs() - 120_000,
                contentType: "application/json", body: vector.body
            )
            await store.shutdown()
            #expect(await service.application.recoverUnprocessedDeliveries(olderThanSeconds: 60) >= 1)
            let rows = try ServiceTestDatabase.connect().execute(
                "SELECT status FROM ipn_deliveries WHERE tenant_id = $1 AND id = $2", [.text(tenant), .init(id)]
            )
            #expect(rows[0, 0] == "verified")
            let state = try await service.client.getWebhookURL(tenantID: tenant, account: "synthvend")
            #expect(state.acceptedNotifications == 1)
            // A second sweep finds nothing of this tenant's to do and changes nothing.
            _ = await service.application.recoverUnprocessedDeliveries(olderThanSeconds: 60)
            #expect(try await service.client.getWebhookURL(tenantID: tenant, account: "synthvend").acceptedNotifications == 1)
        }
    }
}
