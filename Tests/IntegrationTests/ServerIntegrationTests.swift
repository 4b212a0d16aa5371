import Foundation
import IngestClient
import TestSupport
import Testing

/// Every method of a running cbingest server, end to end through the client library and the HTTP
/// gateway, as another backend service (or ClickBank) would call it. Nothing here reaches into the
/// server's database: what is checked is what a caller can see.
///
/// Expected errors are checked with do/catch (`expectRPCError`), not `#expect(throws:)`: see there.
@Suite(.requiresServer, .timeLimit(.minutes(1)))
struct ServerIntegrationTests {
    static let account = "synthvend"
    static let secretKey = "SYNTHKEY0000TEST"

    /// A fresh tenant with `secret` stored for `synthvend`; returns the tenant and its webhook path.
    static func endpoint(_ client: IngestClient, secret: String = Self.secretKey) async throws -> (tenant: String, path: String) {
        let tenant = IntegrationServer.uniqueTenant()
        let stored = try await client.storeSecret(tenantID: tenant, account: Self.account, secretKey: secret)
        #expect(stored.stored)
        let url = try await client.getWebhookURL(tenantID: tenant, account: Self.account).url
        return (tenant, try Self.path(of: url))
    }

    /// `/clickbank/ipn/<token>` of a webhook URL, whatever public base URL the server was given.
    static func path(of url: String) throws -> String {
        let range = try #require(url.range(of: "/clickbank/ipn/"), "not a webhook URL: \(url)")
        return String(url[range.lowerBound...])
    }

    // MARK: Check

    @Test func checkReportsServingForTheServerAndItsDatabase() async throws {
        try await IntegrationServer.server.withClient { (client) async throws in
            #expect(try await client.check().status == .serving)
            #expect(try await client.check(service: "database").status == .serving)
        }
    }

    @Test func aMissingOrWrongAuthTokenIsRefused() async throws {
        let server = try IntegrationServer.server
        for token in ["", "not-the-token-\(UUID().uuidString)"] {
            await expectRPCError(.unauthenticated) {
                try await server.withClient(token: token) { client in _ = try await client.check() }
            }
        }
    }

    // MARK: StoreSecret and GetWebhookURL

    @Test func storeSecretThenGetWebhookURL() async throws {
        let server = try IntegrationServer.server
        try await server.withClient { (client) async throws in
            let tenant = IntegrationServer.uniqueTenant()
            let before = try await client.getWebhookURL(tenantID: tenant, account: Self.account)
            #expect(!before.secretStored)
            #expect(before.url.hasPrefix("http://") || before.url.hasPrefix("https://"), "\(before.url)")
            _ = try Self.path(of: before.url)

            let first = try await client.storeSecret(tenantID: tenant, account: Self.account, secretKey: Self.secretKey)
            #expect(first.stored && first.keyVersion == 1)
            let second = try await client.storeSecret(tenantID: tenant, account: Self.account, secretKey: "SYNTHKEY0000TES2")
            #expect(second.stored && second.keyVersion == 2)
            #expect(second.previousKeyValidUntilMs > 0, "the replaced key stays valid for a grace period")

            let after = try await client.getWebhookURL(tenantID: tenant, account: Self.account)
            #expect(after.secretStored)
            #expect(after.url == before.url, "the URL is stable")
            #expect(after.acceptedNotifications == 0 && after.rejectedNotifications == 0 && !after.testSeen)

            let rotated = try await client.getWebhookURL(tenantID: tenant, account: Self.account, rotateToken: true)
            #expect(rotated.url != before.url)
            #expect(rotated.previousUrl == before.url && rotated.previousUrlValidUntilMs > 0)
        }
    }

    @Test func storeSecretRefusesAnInvalidKeyWithAMessageThatHelps() async throws {
        try await IntegrationServer.server.withClient { (client) async throws in
            let tenant = IntegrationServer.uniqueTenant()
            let invalid = "not a key!"
            do {
                _ = try await client.storeSecret(tenantID: tenant, account: Self.account, secretKey: invalid)
                Issue.record("expected an error")
            } catch let error as RPCError {
                #expect(error.code == .invalidArgument && !error.message.isEmpty && !error.message.contains(invalid))
            } catch {
                Issue.record("unexpected error: \(error)")
            }
            await expectRPCError(.invalidArgument) {
                _ = try await client.storeSecret(tenantID: "", account: Self.account, secretKey: Self.secretKey)
            }
            // Nothing was stored.
            #expect(try await client.getWebhookURL(tenantID: tenant, account: Self.account).secretStored == false)
        }
    }

    // MARK: VerifyIPN through the HTTP gateway

    @Test(arguments: IPNVector.vendor)
    func vectorPostedToTheGatewayIsStoredAndCounted(_ vector: IPNVector) async throws {
        let server = try IntegrationServer.server
        try await server.withClient { (client) async throws in
            let (tenant, path) = try await Self.endpoint(client, secret: vector.secretKey)
            let (status, text) = try await server.http("POST", path, body: vector.body, contentType: vector.contentType)
            // 200 once stored, verified or not: ClickBank must not retry a bad body forever.
            #expect(status == 200, "\(text)")
            #expect(!text.lowercased().contains("padding"), "the answer never says why verification failed")
            let state = try await client.getWebhookURL(tenantID: tenant, account: Self.account)
            #expect(state.acceptedNotifications == (vector.isPositive ? 1 : 0), "\(vector.file)")
            #expect(state.rejectedNotifications == (vector.isPositive ? 0 : 1), "\(vector.file)")
            #expect(state.lastNotificationAtMs > 0)
        }
    }

    @Test func redeliveryThroughTheGatewayIsOneEvent() async throws {
        let server = try IntegrationServer.server
        let sale = try IPNVector.named("v7_sale_vendor")
        let retry = try IPNVector.named("v7_sale_vendor_retry3")
        try await server.withClient { (client) async throws in
            let (tenant, path) = try await Self.endpoint(client)
            for vector in [sale, retry, retry] {
                let (status, text) = try await server.http("POST", path, body: vector.body, contentType: vector.contentType)
                #expect(status == 200, "\(vector.file): \(text)")
            }
            // Every delivery is kept and counted; the sale they carry is recorded once: the same body
            // through VerifyIPN is a duplicate of the event the gateway recorded.
            let state = try await client.getWebhookURL(tenantID: tenant, account: Self.account)
            #expect(state.acceptedNotifications == 3)
            var request = VerifyIPNRequest()
            request.token = String(path.split(separator: "/").last!)
            request.body = retry.body
            request.contentType = retry.contentType
            let again = try await client.verifyIPN(request)
            #expect(again.verified, "\(again.failure) \(again.failureDetail)")
            #expect(again.duplicate, "a redelivery (attemptCount 3, new IV) is the same event")
            #expect(again.notification?.receipt == "SYNTH001")
        }
    }

    @Test func testIPNButtonIsSeen() async throws {
        let server = try IntegrationServer.server
        let button = try IPNVector.named("v7_test_button")
        try await server.withClient { (client) async throws in
            let (tenant, path) = try await Self.endpoint(client)
            #expect(try await server.http("POST", path, body: button.body, contentType: button.contentType).0 == 200)
            let state = try await client.getWebhookURL(tenantID: tenant, account: Self.account)
            #expect(state.testSeen && state.testSeenAtMs > 0)
        }
    }

    // MARK: VerifyIPN through the client library

    @Test func verifyIPNThroughTheClient() async throws {
        let server = try IntegrationServer.server
        let sale = try IPNVector.named("v7_sale_cart_bump")
        let wrong = try IPNVector.named("neg_tampered_last_block")
        try await server.withClient { (client) async throws in
            let (tenant, path) = try await Self.endpoint(client)
            var request = VerifyIPNRequest()
            request.token = String(path.split(separator: "/").last!)
            request.body = sale.body
            request.contentType = sale.contentType
            let first = try await client.verifyIPN(request)
            #expect(first.verified && !first.duplicate && first.keyVersion == 1)
            #expect(first.deliveryId > 0)
            let notification = try #require(first.notification)
            #expect(notification.receipt == "SYNTH002")
            #expect(notification.lineItems.count == 2)

            request.body = wrong.body
            let rejected = try await client.verifyIPN(request)
            #expect(!rejected.verified && rejected.failure != .none)
            #expect(!rejected.failureDetail.contains(Self.secretKey))

            request.body = []
            await expectRPCError(.invalidArgument) {
                _ = try await client.verifyIPN(request)
            }
            let state = try await client.getWebhookURL(tenantID: tenant, account: Self.account)
            #expect(state.acceptedNotifications == 1 && state.rejectedNotifications == 1)
        }
    }

    // MARK: The gateway's own answers

    @Test func gatewayAnswersHealthReadinessMetricsAndErrors() async throws {
        let server = try IntegrationServer.server
        let sale = try IPNVector.named("v7_sale_vendor")
        #expect(try await server.http("GET", "/healthz").0 == 200)
        #expect(try await server.http("GET", "/readyz").0 == 200)
        let (status, metrics) = try await server.http("GET", "/metrics")
        #expect(status == 200)
        #expect(metrics.contains("cbingest_gateway_responses_total"))
        let unknown = "/clickbank/ipn/" + String(repeating: "A", count: 32)
        #expect(try await server.http("POST", unknown, body: sale.body, contentType: sale.contentType).0 == 404)
        try await server.withClient { (client) async throws in
            let (_, path) = try await Self.endpoint(client)
            #expect(try await server.http("GET", path).0 == 405)
        }
    }

    // MARK: ImportCSV

    // MARK: ImportCSV

    /// The vendor sample export, after the same sale arrived as a notification: the CSV's copy of it
    /// is recognised as the webhook's event; importing the file again adds nothing.
    @Test func importCSVDeduplicatesAgainstWebhookEventsAndItself() async throws {
        let server = try IntegrationServer.server
        let sale = try IPNVector.named("v7_sale_vendor")
        let csv = IPNVector.directory.deletingLastPathComponent()
            .appendingPathComponent("csv/transactions_vendor_2024-03.csv").path
        try await server.withClient { (client) async throws in
            let (tenant, path) = try await Self.endpoint(client)
            let (status, _) = try await server.http("POST", path, body: sale.body, contentType: sale.contentType)
            #expect(status == 200)

            let first = try await client.importCSV(tenantID: tenant, account: Self.account, files: [try .path(csv)])
            #expect(first.final)
            #expect(first.rowsRead == 12)
            #expect(first.rejected == 0)
            #expect(first.alreadyFromWebhook == 1, "SYNTH001 came by webhook first")
            #expect(first.inserted == 11)

            let again = try await client.importCSV(tenantID: tenant, account: Self.account, files: [try .path(csv)])
            #expect(again.rowsRead == 12)
            #expect(again.inserted == 0, "re-uploading a whole file adds nothing")
            #expect(again.alreadyPresent + again.alreadyFromWebhook == 12)
        }
    }

    /// All three sample exports in one upload: every row read, none rejected, each stored once.
    @Test func importCSVOfEverySampleFile() async throws {
        let server = try IntegrationServer.server
        let folder = IPNVector.directory.deletingLastPathComponent().appendingPathComponent("csv")
        let files = try ["transactions_vendor_2024-03.csv", "transactions_affiliate_2024-03.csv", "transactions_edgecases.csv"]
            .map { try IngestClient.CSVImportFile.path(folder.appendingPathComponent($0).path) }
        try await server.withClient { (client) async throws in
            let tenant = IntegrationServer.uniqueTenant()
            let summary = try await client.importCSV(tenantID: tenant, account: Self.account, files: files)
            #expect(summary.files.count == 3)
            #expect(summary.rowsRead == 22)
            #expect(summary.rejected == 0)
            #expect(summary.duplicatesInImport >= 1, "the edge-case file repeats a row")
            #expect(summary.inserted + summary.duplicatesInImport + summary.alreadyPresent == 22)
            let again = try await client.importCSV(tenantID: tenant, account: Self.account, files: files)
            #expect(again.inserted == 0)
        }
    }

}
