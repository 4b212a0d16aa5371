import ClickBank
import Foundation
import IngestClient
import IngestService
import LibPQ
import TestSupport
import Testing

/// How database failures reach callers: an outage is UNAVAILABLE (see DatabaseOutageTests); a failure
/// that retrying won't cure is INTERNAL, and still loses nothing already accepted.
@Suite(.requiresDatabase, .timeLimit(.minutes(1)))
struct StoreErrorTests {
    @Test("a schema that doesn't match the build gives INTERNAL, keeps the raw body, and leaks nothing")
    func brokenSchemaIsInternalNotUnavailable() async throws {
        // A service on its own schema, so breaking it touches no other test.
        let schema = "svc_broken_\(UInt32.random(in: 0...UInt32.max))"
        let admin = try ServiceTestDatabase.connect()
        try admin.execute("CREATE SCHEMA \(schema)")
        defer { _ = try? admin.execute("DROP SCHEMA \(schema) CASCADE") }
        let base = ServiceTestDatabase.conninfo!
        let conninfo = base.contains("://")
            ? base + (base.contains("?") ? "&" : "?") + "options=-csearch_path%3D\(schema)"
            : base + " options='-csearch_path=\(schema)'"

        let vector = try IPNVector.named("v7_sale_vendor")
        try await withService({ $0.databaseURL = conninfo }) { service in
            let tenant = ServiceTestDatabase.uniqueTenant()
            _ = try await service.client.storeSecret(tenantID: tenant, account: vector.account, secretKey: vector.secretKey)
            let url = try await service.client.getWebhookURL(tenantID: tenant, account: vector.account).url
            // What an operator might do by hand, or a schema from another build: a column the recording
            // writes is gone.
            try admin.execute("ALTER TABLE \(schema).events RENAME COLUMN attempt_count TO attempts")

            var request = VerifyIPNRequest()
            request.token = String(url.split(separator: "/").last!)
            request.body = vector.body
            request.contentType = vector.contentType
            await expectRPCError(.internal, messageContains: "internal error") {
                _ = try await service.client.verifyIPN(request)
            }

            // The raw body was stored before recording failed: once fixed, the recovery sweep or a
            // ClickBank retry records it.
            let stored = try admin.execute(
                """
                SELECT b.body, d.status FROM \(schema).ipn_deliveries d
                JOIN \(schema).ipn_delivery_bodies b ON b.tenant_id = d.tenant_id AND b.delivery_id = d.id
                WHERE d.tenant_id = $1
                """,
                [.text(tenant)]
            )
            #expect(stored.rowCount == 1)
            #expect(stored.bytes(row: 0, column: 0) == vector.body && stored[0, 1] == "received")
            #expect(service.logs.text.contains("database call failed"))
            #expect(!service.logs.text.contains(vector.secretKey))
        }
    }
}
