import CryptoPrimitives
import Foundation
import IngestClient
import IngestService
import IngestStore
import LibPQ
import TestSupport
import Testing

@Suite(.requiresDatabase, .timeLimit(.minutes(2)))
struct SecretAndWebhookTests {
    let secret = "SYNTHKEY0000TEST"

    @Test func storedSecretIsEncryptedInItsRowAndOpensWithTheMasterKey() async throws {
        try await withService { service in
            let tenant = ServiceTestDatabase.uniqueTenant()
            let response = try await service.client.storeSecret(tenantID: tenant, account: "Acme", secretKey: self.secret)
            #expect(response.stored)
            #expect(response.keyVersion == 1)
            #expect(response.warnings.isEmpty)
            #expect(response.previousKeyValidUntilMs == 0)

            let connection = try ServiceTestDatabase.connect()
            let rows = try connection.execute(
                "SELECT master_key_id, sealed FROM clickbank_secrets WHERE tenant_id = $1 AND account = $2",
                [.text(tenant), .text("acme")]
            )
            #expect(rows.rowCount == 1)
            let sealed = try #require(try rows.bytes(row: 0, column: 1))
            // Not stored in clear, in any encoding we could think of.
            #expect(!String(decoding: sealed, as: UTF8.self).contains(self.secret))
            #expect(!Crypto.lowercaseHex(sealed).contains(Crypto.lowercaseHex(Array(self.secret.utf8))))
            #expect(sealed.count == 12 + self.secret.utf8.count + 16)
            #expect(rows[0, 0] == service.keyring.current.id)
            let opened = try service.keyring.open(sealed, keyID: rows[0, 0]!, context: "clickbank-secret|\(tenant)|acme")
            #expect(opened == Array(self.secret.utf8))
            // Bound to its row: the same bytes do not open as another tenant's secret.
            #expect(throws: ServiceError.self) {
                try service.keyring.open(sealed, keyID: rows[0, 0]!, context: "clickbank-secret|other|acme")
            }
        }
    }

    @Test func rotationKeepsThePreviousKeyForTheGracePeriod() async throws {
        try await withService { service in
            let tenant = ServiceTestDatabase.uniqueTenant()
            _ = try await service.client.storeSecret(tenantID: tenant, account: "acme", secretKey: "FIRSTKEY1")
            let before = Int64(Date().timeIntervalSince1970 * 1000)
            var request = StoreSecretRequest()
            request.tenantId = tenant
            request.account = "acme"
            request.secretKey = "SECONDKEY2"
            request.previousKeyGraceSeconds = 3600
            let second = try await service.client.storeSecret(request)
            #expect(second.keyVersion == 2)
            let expectedUntil = before + 3_600_000
            #expect(abs(second.previousKeyValidUntilMs - expectedUntil) < 60_000)

            let store = try await IngestStore.connect(conninfo: ServiceTestDatabase.conninfo!, poolSize: 1)
            let active = try await store.activeSecrets(tenant: tenant, account: "acme")
            #expect(active.map(\.version) == [2, 1])
            // The default grace applies without an explicit one: 72 hours.
            request.secretKey = "THIRDKEY3"
            request.previousKeyGraceSeconds = 0
            let third = try await service.client.storeSecret(request)
            #expect(abs(third.previousKeyValidUntilMs - (before + 72 * 3_600_000)) < 60_000)
            #expect(try await store.activeSecrets(tenant: tenant, account: "acme").map(\.version) == [3, 2, 1])
            await store.shutdown()
        }
    }

    @Test func previousKeyOutsideItsGraceIsNoLongerActive() async throws {
        try await withService { service in
            let tenant = ServiceTestDatabase.uniqueTenant()
            _ = try await service.client.storeSecret(tenantID: tenant, account: "acme", secretKey: "FIRSTKEY1")
            var request = StoreSecretRequest()
            request.tenantId = tenant
            request.account = "acme"
            request.secretKey = "SECONDKEY2"
            request.previousKeyGraceSeconds = 1
            _ = try await service.client.storeSecret(request)
            try await Task.sleep(for: .milliseconds(1500))
            let store = try await IngestStore.connect(conninfo: ServiceTestDatabase.conninfo!, poolSize: 1)
            #expect(try await store.activeSecrets(tenant: tenant, account: "acme").map(\.version) == [2])
            await store.shutdown()
        }
    }

    @Test(arguments: [
        ("", "1-32 characters"),
        ("abcdEFGH", "lower-case"),
        ("ABC DEF", "other characters"),
        (String(repeating: "A", count: 33), "1-32 characters"),
    ])
    func invalidSecretKeysAreRejectedWithoutEchoingThem(key: String, fragment: String) async throws {
        try await withService { service in
            let tenant = ServiceTestDatabase.uniqueTenant()
            do {
                _ = try await service.client.storeSecret(tenantID: tenant, account: "acme", secretKey: key)
                Issue.record("accepted an invalid key")
            } catch let error as RPCError {
                #expect(error.code == .invalidArgument)
                #expect(error.message.contains(fragment), "\(error.message)")
                if key.count > 3 { #expect(!error.message.contains(key)) }
            }
            let state = try await service.client.getWebhookURL(tenantID: tenant, account: "acme")
            #expect(state.secretStored == false, "nothing was stored")
        }
    }

    @Test func keysLongerThanSixteenAreStoredWithAWarning() async throws {
        try await withService { service in
            let response = try await service.client.storeSecret(
                tenantID: ServiceTestDatabase.uniqueTenant(), account: "acme",
                secretKey: "0123456789ABCDEF0123456789ABCDEF"
            )
            #expect(response.stored)
            #expect(response.warnings.count == 1)
            #expect(response.warnings.first?.contains("16") == true)
        }
    }

    @Test(arguments: [("", "acme"), ("tenant with spaces", "acme"), ("t1", ""), ("t1", "acme/../x"), (String(repeating: "t", count: 129), "acme")])
    func invalidIdentifiersAreRejected(tenant: String, account: String) async throws {
        try await withService { service in
            await expectRPCError(.invalidArgument) {
                _ = try await service.client.storeSecret(tenantID: tenant, account: account, secretKey: "ABC")
            }
            await expectRPCError(.invalidArgument) {
                _ = try await service.client.getWebhookURL(tenantID: tenant, account: account)
            }
        }
    }

    @Test func webhookURLIsStableUnguessableAndNamesClickBank() async throws {
        try await withService { service in
            let tenant = ServiceTestDatabase.uniqueTenant()
            let first = try await service.client.getWebhookURL(tenantID: tenant, account: "acme")
            let second = try await service.client.getWebhookURL(tenantID: tenant, account: "ACME")
            #expect(first.url == second.url, "stable across calls, account case-insensitive")
            #expect(first.url.hasPrefix("https://ingest.example.test/clickbank/ipn/"))
            let token = String(first.url.dropFirst("https://ingest.example.test/clickbank/ipn/".count))
            #expect(token.count == 32)  // 24 random bytes = 192 bits, base64url
            #expect(token.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
            #expect(first.secretStored == false)
            #expect(first.testSeen == false)
            #expect(first.acceptedNotifications == 0)

            let other = try await service.client.getWebhookURL(tenantID: tenant, account: "other")
            #expect(other.url != first.url)
            // The token is stored sealed, never in clear.
            let rows = try ServiceTestDatabase.connect().execute(
                "SELECT token_sealed FROM webhook_tokens WHERE tenant_id = $1", [.text(tenant)]
            )
            for row in 0..<rows.rowCount {
                let sealed = try #require(try rows.bytes(row: row, column: 0))
                #expect(!String(decoding: sealed, as: UTF8.self).contains(token))
            }
        }
    }

    @Test func concurrentFirstCallsAgreeOnOneURL() async throws {
        try await withService { service in
            let tenant = ServiceTestDatabase.uniqueTenant()
            let urls = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await service.client.getWebhookURL(tenantID: tenant, account: "acme").url }
                }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(urls.count == 1)
        }
    }

    @Test func rotatedTokenKeepsWorkingForItsGracePeriodOnly() async throws {
        try await withService { service in
            let tenant = ServiceTestDatabase.uniqueTenant()
            let original = try await service.client.getWebhookURL(tenantID: tenant, account: "acme")
            var rotate = GetWebhookURLRequest()
            rotate.tenantId = tenant
            rotate.account = "acme"
            rotate.rotateToken = true
            // Long enough for the checks below on a loaded machine (the suites run in parallel).
            rotate.previousTokenGraceSeconds = 8
            let rotated = try await service.client.getWebhookURL(rotate)
            #expect(rotated.url != original.url)
            #expect(rotated.previousUrl == original.url)
            #expect(rotated.previousUrlValidUntilMs > Int64(Date().timeIntervalSince1970 * 1000))
            let again = try await service.client.getWebhookURL(tenantID: tenant, account: "acme")
            #expect(again.url == rotated.url)

            let store = try await IngestStore.connect(conninfo: ServiceTestDatabase.conninfo!, poolSize: 1)
            func owner(_ url: String) async throws -> WebhookTokenOwner? {
                let token = String(url.split(separator: "/").last!)
                return try await store.resolveToken(tokenHash: Crypto.sha256(Array(token.utf8)))
            }
            #expect(try await owner(original.url)?.tenant == tenant)
            #expect(try await owner(rotated.url)?.tenant == tenant)
            let untilExpiry = rotated.previousUrlValidUntilMs - Int64(Date().timeIntervalSince1970 * 1000)
            try await Task.sleep(for: .milliseconds(max(0, untilExpiry) + 500))
            #expect(try await owner(original.url) == nil, "outside the grace period the old URL is dead")
            #expect(try await owner(rotated.url)?.tenant == tenant)
            let later = try await service.client.getWebhookURL(tenantID: tenant, account: "acme")
            #expect(later.previousUrl.isEmpty)
            await store.shutdown()
        }
    }

    @Test func tenantsAreIsolated() async throws {
        try await withService { service in
            let tenantA = ServiceTestDatabase.uniqueTenant("a")
            let tenantB = ServiceTestDatabase.uniqueTenant("b")
            _ = try await service.client.storeSecret(tenantID: tenantA, account: "acme", secretKey: self.secret)
            let urlA = try await service.client.getWebhookURL(tenantID: tenantA, account: "acme")
            let urlB = try await service.client.getWebhookURL(tenantID: tenantB, account: "acme")
            #expect(urlA.secretStored)
            #expect(urlB.secretStored == false, "B sees nothing of A's secret for the same account name")
            #expect(urlA.url != urlB.url)

            let store = try await IngestStore.connect(conninfo: ServiceTestDatabase.conninfo!, poolSize: 1)
            let tokenA = String(urlA.url.split(separator: "/").last!)
            let owner = try await store.resolveToken(tokenHash: Crypto.sha256(Array(tokenA.utf8)))
            #expect(owner?.tenant == tenantA)
            #expect(try await store.activeSecrets(tenant: tenantB, account: "acme").isEmpty)
            await store.shutdown()
        }
    }

    @Test func secretsNeverReachLogsOrErrors() async throws {
        try await withService { service in
            let tenant = ServiceTestDatabase.uniqueTenant()
            _ = try await service.client.storeSecret(tenantID: tenant, account: "acme", secretKey: "LEAKCHECK0123456")
            _ = try? await service.client.storeSecret(tenantID: tenant, account: "acme", secretKey: "leakcheck-lower")
            _ = try? await service.client.storeSecret(tenantID: tenant, account: "acme", secretKey: "LEAKCHECK0123456789LEAKCHECK0123456789")
            let url = try await service.client.getWebhookURL(tenantID: tenant, account: "acme").url
            let token = String(url.split(separator: "/").last!)
            let logs = service.logs.text
            #expect(logs.contains("stored a ClickBank secret key"), "logging works at all")
            for secret in ["LEAKCHECK0123456", "leakcheck-lower", "LEAKCHECK0123456789", token] {
                #expect(!logs.contains(secret))
            }
        }
    }

    @Test func healthChecksServerAndDatabase() async throws {
        try await withService { service in
            let server = try await service.client.check()
            let database = try await service.client.check(service: "database")
            #expect(server.status == HealthCheckResponse.ServingStatus.serving)
            #expect(database.status == HealthCheckResponse.ServingStatus.serving)
            await expectRPCError(.notFound, messageContains: "unknown health-check service") {
                _ = try await service.client.check(service: "nonsense")
            }
        }
    }
}

@Suite struct DatabaseTestsAreNotSilentlySkipped {
    @Test func makeTestAlwaysProvidesTheDatabase() {
        if ProcessInfo.processInfo.environment["CBINGEST_REQUIRE_DATABASE_TESTS"] == "1" {
            #expect(ServiceTestDatabase.conninfo != nil, "make test must set PG_TEST_CONNINFO")
        }
    }
}
