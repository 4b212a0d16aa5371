import Foundation
import IngestStore
import LibPQ
import Testing

/// A fresh schema per test, so the IngestStore tests run in parallel without seeing each other's rows.
struct TestSchema {
    let name: String
    let conninfo: String

    init() throws {
        self.name = TestDatabase.uniqueName("store")
        let admin = try TestDatabase.connect()
        try admin.execute("SELECT 1")
        // Identifiers can't be bind parameters; the name is generated here from [a-z0-9_] only.
        precondition(self.name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" })
        try admin.execute("CREATE SCHEMA \(self.name)")
        let base = TestDatabase.conninfo!
        if base.hasPrefix("postgres://") || base.hasPrefix("postgresql://") {
            let separator = base.contains("?") ? "&" : "?"
            self.conninfo = base + separator + "options=-csearch_path%3D\(self.name)"
        } else {
            self.conninfo = base + " options='-csearch_path=\(self.name)'"
        }
    }

    func makeStore(poolSize: Int = 4) async throws -> IngestStore {
        try await IngestStore.connect(conninfo: self.conninfo, poolSize: poolSize)
    }

    func drop() {
        if let admin = try? TestDatabase.connect() {
            _ = try? admin.execute("DROP SCHEMA \(self.name) CASCADE")
        }
    }
}

@Suite(.requiresPostgreSQL, .timeLimit(.minutes(1)))
struct IngestStoreTests {
    @Test func migrationsAreIdempotentAndSafeConcurrently() async throws {
        let schema = try TestSchema()
        defer { schema.drop() }
        let pool = PGPool(conninfo: schema.conninfo, size: 8)
        try await pool.warmUp()
        let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await pool.withConnection { try Migrations.apply(on: $0) }
                }
            }
            return try await group.reduce(into: [Int]()) { $0 += $1 }
        }
        // Each migration ran exactly once across all eight instances.
        #expect(applied.sorted() == Array(1...Migrations.latestVersion))
        let again = try await pool.withConnection { try Migrations.apply(on: $0) }
        #expect(again.isEmpty)
        let versions = try await pool.withConnection { try Migrations.appliedVersions(on: $0) }
        #expect(versions == Array(1...Migrations.latestVersion))
        let tables = try await pool.withConnection { connection in
            try connection.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = $1",
                [.text(schema.name)]
            ).int(row: 0, column: 0)
        }
        // schema_migrations plus the tables the migrations create.
        #expect(tables == 12)
        await pool.shutdown()
    }

    @Test("raw bodies stored before migration 5, or by an older build during a rolling upgrade, are read back byte for byte")
    func bodiesStoredInlineStayReadable() async throws {
        let schema = try TestSchema()
        defer { schema.drop() }
        let connection = try PGConnection(conninfo: schema.conninfo)
        defer { connection.close() }
        // A database as version 4 left it.
        try Migrations.apply(on: connection, upTo: 4)
        // How a version 4 build stores a delivery: the body inline. An hour old, for the recovery sweep.
        func storeAsVersionFourBuild(status: String, body: [UInt8]) throws {
            try connection.execute(
                """
                INSERT INTO ipn_deliveries (tenant_id, account, received_at, content_type, body, status)
                VALUES ('t1', 'acct', now() - interval '1 hour', 'application/json', $1, $2)
                """,
                [.bytes(body), .text(status)]
            )
        }
        let failedBefore = Array(#"{"notification":"abc","iv":"def"}"#.utf8)
        let receivedBefore: [UInt8] = [0, 255, 0x80, 10, 13]
        try storeAsVersionFourBuild(status: "failed", body: failedBefore)
        try storeAsVersionFourBuild(status: "received", body: receivedBefore)

        #expect(try Migrations.apply(on: connection) == Array(5...Migrations.latestVersion))

        // An instance of the older build, still running during a rolling upgrade.
        let failedBeside = Array("ctransreceipt=X&cverify=0A1B".utf8)
        try storeAsVersionFourBuild(status: "failed", body: failedBeside)
        try storeAsVersionFourBuild(status: "received", body: [])
        // And this build.
        let store = try await schema.makeStore(poolSize: 1)
        let current: [UInt8] = [9, 9, 9]
        let id = try await store.recordDelivery(
            tenant: "t1", account: "acct", receivedAtMs: Int64(Date().timeIntervalSince1970 * 1000) - 3_600_000,
            contentType: "application/json", body: current
        )
        try await store.recordFailed(deliveryID: id, tenant: "t1", account: "acct", failure: "not_json", detail: "test")

        let toReverify = try await store.deliveriesToReverify(tenant: "t1", account: "acct", limit: 10)
        #expect(toReverify.map(\.body) == [failedBefore, failedBeside, current])
        let unprocessed = try await store.unprocessedDeliveries(olderThanSeconds: 60, limit: 10)
        #expect(unprocessed.map(\.body) == [receivedBefore, []])
        await store.shutdown()
        // This build keeps each body once, in its own table.
        let inline = try connection.execute("SELECT count(*) FROM ipn_deliveries WHERE body IS NOT NULL")
        let separate = try connection.execute("SELECT count(*) FROM ipn_delivery_bodies")
        #expect(inline.int(row: 0, column: 0) == 4 && separate.int(row: 0, column: 0) == 1)
    }

    @Test("migration 5 gives up after 5 s behind a transaction using the deliveries, changes nothing, and applies later")
    func bodiesMigrationGivesUpWhenBlocked() async throws {
        let schema = try TestSchema()
        defer { schema.drop() }
        let connection = try PGConnection(conninfo: schema.conninfo)
        defer { connection.close() }
        try Migrations.apply(on: connection, upTo: 4)
        // Another session reading the deliveries in a long transaction.
        let reader = try PGConnection(conninfo: schema.conninfo)
        defer { reader.close() }
        try reader.execute("BEGIN")
        try reader.execute("SELECT count(*) FROM ipn_deliveries")

        // The migration waits on a pool thread, not on one of the test runner's few shared threads.
        // Without its lock timeout it would wait for the reader: the session's statement timeout then
        // cancels it (another error), as no test time limit can interrupt a blocking call.
        let pool = PGPool(conninfo: schema.conninfo, size: 1)
        var caught: PGError?
        do {
            _ = try await pool.withConnection { migrating in
                try migrating.execute("SET statement_timeout = '20s'")
                return try Migrations.apply(on: migrating)
            }
            Issue.record("the migration applied while another session used the deliveries")
        } catch let error as PGError {
            caught = error
        }
        await pool.shutdown()
        #expect(caught?.sqlState == "55P03", "lock_not_available, not \(String(describing: caught))")
        #expect(try Migrations.appliedVersions(on: connection) == [1, 2, 3, 4])
        let bodiesTable = try connection.execute("SELECT to_regclass('ipn_delivery_bodies') IS NULL")
        #expect(bodiesTable.bool(row: 0, column: 0) == true, "the failed migration left nothing behind")

        try reader.execute("COMMIT")
        #expect(try Migrations.apply(on: connection) == Array(5...Migrations.latestVersion))
    }

    @Test func secretRotationKeepsPreviousVersionsForTheirGrace() async throws {
        let schema = try TestSchema()
        defer { schema.drop() }
        let store = try await schema.makeStore()
        let before = Int64(Date().timeIntervalSince1970 * 1000)

        let first = try await store.storeSecret(
            tenant: "t1",
            account: "acct",
            masterKeyID: "mk1",
            sealed: [1, 0, 1],
            previousGraceSeconds: 3600
        )
        #expect(first == StoredSecretVersion(version: 1))

        let second = try await store.storeSecret(
            tenant: "t1",
            account: "acct",
            masterKeyID: "mk2",
            sealed: [2, 2],
            previousGraceSeconds: 3600
        )
        #expect(second.version == 2)
        #expect(second.previousVersion == 1)
        let graceEnd = try #require(second.previousValidUntilMs)
        #expect(graceEnd >= before + 3_599_000 && graceEnd <= before + 3_660_000)

        var active = try await store.activeSecrets(tenant: "t1", account: "acct")
        #expect(active.map(\.version) == [2, 1])
        #expect(active[0].isCurrent && !active[1].isCurrent)
        #expect(active[0].sealed == [2, 2] && active[0].masterKeyID == "mk2")
        #expect(active[1].sealed == [1, 0, 1] && active[1].validUntilMs == graceEnd)

        // No grace for v2: it stops at once, while v1 keeps its own (longer) grace.
        let third = try await store.storeSecret(
            tenant: "t1",
            account: "acct",
            masterKeyID: "mk1",
            sealed: [3],
            previousGraceSeconds: 0
        )
        #expect(third.version == 3 && third.previousVersion == 2)
        try await Task.sleep(for: .milliseconds(5))
        active = try await store.activeSecrets(tenant: "t1", account: "acct")
        #expect(active.map(\.version) == [3, 1])
        #expect(active[1].validUntilMs == graceEnd)
        await store.shutdown()
    }

    @Test func concurrentSecretStoresGetDistinctVersions() async throws {
        let schema = try TestSchema()
        defer { schema.drop() }
        let store = try await schema.makeStore(poolSize: 8)
        let versions = try await withThrowingTaskGroup(of: Int.self) { group in
            for n in 0..<16 {
                group.addTask {
                    try await store.storeSecret(
                        tenant: "t",
                        account: "a",
                        masterKeyID: "mk",
                        sealed: [UInt8(n)],
                        previousGraceSeconds: 60
                    ).version
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(versions.sorted() == Array(1...16))
        let active = try await store.activeSecrets(tenant: "t", account: "a")
        #expect(active.count == 16)
        #expect(active.filter(\.isCurrent).map(\.version) == [16])
        await store.shutdown()
    }

    @Test func concurrentFirstTokenCallsEndWithOneToken() async throws {
        let schema = try TestSchema()
        defer { schema.drop() }
        let store = try await schema.makeStore(poolSize: 8)
        let results = try await withThrowingTaskGroup(of: WebhookTokenCreation.self) { group in
            for n in 0..<20 {
                group.addTask {
                    try await store.createToken(
                        tenant: "t",
                        account: "a",
                        tokenHash: [0xAA, UInt8(n)],
                        masterKeyID: "mk",
                        sealed: [UInt8(n)]
                    )
                }
            }
            return try await group.reduce(into: [WebhookTokenCreation]()) { $0.append($1) }
        }
        #expect(results.filter(\.created).count == 1)
        let winners = results.filter(\.created)
        let winner = try #require(winners.first).record.current
        #expect(results.allSatisfy { $0.record.current == winner })
        #expect(winner.sealed == [winner.tokenHash[1]])
        let stored = try await store.webhookToken(tenant: "t", account: "a")
        #expect(stored?.current == winner)
        #expect(stored?.previous == nil)
        await store.shutdown()
    }

    @Test func tokenRotationGraceAndResolution() async throws {
        let schema = try TestSchema()
        defer { schema.drop() }
        let store = try await schema.makeStore()
        let first = try await store.createToken(
            tenant: "t",
            account: "a",
            tokenHash: [1],
            masterKeyID: "mk",
            sealed: [10]
        )
        #expect(first.created)
        #expect(
            try await store.resolveToken(tokenHash: [1])
                == WebhookTokenOwner(tenant: "t", account: "a", isCurrent: true)
        )

        let rotated = try await store.createToken(
            tenant: "t",
            account: "a",
            tokenHash: [2],
            masterKeyID: "mk",
            sealed: [20],
            rotateGraceSeconds: 3600
        )
        #expect(rotated.created)
        #expect(rotated.record.current.tokenHash == [2])
        #expect(rotated.record.previous?.tokenHash == [1])
        #expect(rotated.record.previous?.validUntilMs != nil)
        #expect(try await store.resolveToken(tokenHash: [1])?.isCurrent == false)
        #expect(try await store.resolveToken(tokenHash: [2])?.isCurrent == true)

        // A later rotation without grace: [2] stops at once; [1] keeps its grace; the newest previous is shown.
        let again = try await store.createToken(
            tenant: "t",
            account: "a",
            tokenHash: [3],
            masterKeyID: "mk",
            sealed: [30],
            rotateGraceSeconds: 0
        )
        try await Task.sleep(for: .milliseconds(5))
        #expect(again.record.current.tokenHash == [3])
        #expect(try await store.resolveToken(tokenHash: [2]) == nil)
        #expect(try await store.resolveToken(tokenHash: [1])?.tenant == "t")
        let record = try await store.webhookToken(tenant: "t", account: "a")
        #expect(record?.current.tokenHash == [3])
        #expect(record?.previous?.tokenHash == [1])

        // Create-if-none with a token present returns the existing one.
        let noop = try await store.createToken(
            tenant: "t",
            account: "a",
            tokenHash: [4],
            masterKeyID: "mk",
            sealed: [40]
        )
        #expect(!noop.created)
        #expect(noop.record.current.tokenHash == [3])
        #expect(try await store.resolveToken(tokenHash: [4]) == nil)
        #expect(try await store.resolveToken(tokenHash: [99]) == nil)
        await store.shutdown()
    }

    @Test func tenantsNeverSeeEachOthersRows() async throws {
        let schema = try TestSchema()
        defer { schema.drop() }
        let store = try await schema.makeStore()
        _ = try await store.storeSecret(
            tenant: "A",
            account: "shared",
            masterKeyID: "mk",
            sealed: [0xA],
            previousGraceSeconds: 60
        )
        _ = try await store.createToken(
            tenant: "A",
            account: "shared",
            tokenHash: [0xA1],
            masterKeyID: "mk",
            sealed: [0xA]
        )
        try await store.recordNotification(tenant: "A", account: "shared", accepted: true, isTest: false)

        #expect(try await store.activeSecrets(tenant: "B", account: "shared").isEmpty)
        #expect(try await store.webhookToken(tenant: "B", account: "shared") == nil)
        #expect(try await store.endpointState(tenant: "B", account: "shared") == nil)
        #expect(try await store.webhookView(tenant: "B", account: "shared") == WebhookView())
        // Look-alike identifiers don't match either.
        #expect(try await store.activeSecrets(tenant: "A ", account: "shared").isEmpty)
        #expect(try await store.activeSecrets(tenant: "a", account: "shared").isEmpty)
        #expect(try await store.activeSecrets(tenant: "A", account: "shared%").isEmpty)

        let secretB = try await store.storeSecret(
            tenant: "B",
            account: "shared",
            masterKeyID: "mk",
            sealed: [0xB],
            previousGraceSeconds: 60
        )
        #expect(secretB == StoredSecretVersion(version: 1))
        let tokenB = try await store.createToken(
            tenant: "B",
            account: "shared",
            tokenHash: [0xB1],
            masterKeyID: "mk",
            sealed: [0xB]
        )
        #expect(tokenB.created)
        #expect(try await store.resolveToken(tokenHash: [0xA1])?.tenant == "A")
        #expect(try await store.resolveToken(tokenHash: [0xB1])?.tenant == "B")
        #expect(try await store.activeSecrets(tenant: "A", account: "shared").map(\.sealed) == [[0xA]])
        #expect(try await store.activeSecrets(tenant: "B", account: "shared").map(\.sealed) == [[0xB]])
        #expect(try await store.endpointState(tenant: "B", account: "shared")?.accepted == 0)
        #expect(try await store.endpointState(tenant: "A", account: "shared")?.accepted == 1)
        await store.shutdown()
    }

    @Test func endpointStateAndViewInOneQuery() async throws {
        let schema = try TestSchema()
        defer { schema.drop() }
        let store = try await schema.makeStore()
        #expect(try await store.endpointState(tenant: "t", account: "a") == nil)
        _ = try await store.createToken(tenant: "t", account: "a", tokenHash: [7], masterKeyID: "mk", sealed: [8])
        var state = try #require(try await store.endpointState(tenant: "t", account: "a"))
        #expect(!state.hasSecret)
        #expect(state.testSeenAtMs == nil && state.lastNotificationAtMs == nil)
        #expect(state.accepted == 0 && state.rejected == 0)

        _ = try await store.storeSecret(
            tenant: "t",
            account: "a",
            masterKeyID: "mk",
            sealed: [1],
            previousGraceSeconds: 0
        )
        try await store.recordNotification(tenant: "t", account: "a", accepted: true, isTest: true)
        try await store.recordNotification(tenant: "t", account: "a", accepted: false, isTest: false)
        try await store.recordNotification(tenant: "t", account: "a", accepted: true, isTest: false)
        state = try #require(try await store.endpointState(tenant: "t", account: "a"))
        #expect(state.hasSecret)
        #expect(state.accepted == 2 && state.rejected == 1)
        #expect(state.testSeenAtMs != nil)
        #expect(state.lastNotificationAtMs != nil)

        let view = try await store.webhookView(tenant: "t", account: "a")
        #expect(view.endpointExists && view.secretStored)
        #expect(view.createdAtMs == state.createdAtMs)
        #expect(view.testSeenAtMs == state.testSeenAtMs && view.lastNotificationAtMs == state.lastNotificationAtMs)
        #expect(view.accepted == 2 && view.rejected == 1)
        #expect(view.currentToken?.tokenHash == [7])
        #expect(view.currentToken?.sealed == [8])
        #expect(view.previousToken == nil)

        _ = try await store.createToken(
            tenant: "t",
            account: "a",
            tokenHash: [9],
            masterKeyID: "mk",
            sealed: [9],
            rotateGraceSeconds: 60
        )
        let rotatedView = try await store.webhookView(tenant: "t", account: "a")
        #expect(rotatedView.currentToken?.tokenHash == [9])
        #expect(rotatedView.previousToken?.tokenHash == [7])
        #expect(rotatedView.previousToken?.validUntilMs != nil)
        #expect(rotatedView.accepted == 2)

        // An endpoint with a secret but no token yet, and one that doesn't exist at all.
        _ = try await store.storeSecret(
            tenant: "t",
            account: "b",
            masterKeyID: "mk",
            sealed: [1],
            previousGraceSeconds: 0
        )
        let bare = try await store.webhookView(tenant: "t", account: "b")
        #expect(bare.endpointExists && bare.secretStored)
        #expect(bare.currentToken == nil)
        #expect(try await store.webhookView(tenant: "t", account: "none") == WebhookView())
        try await store.ping()
        await store.shutdown()
    }

    @Test func failuresAreThrownWithGenericDescriptions() async throws {
        let schema = try TestSchema()
        defer { schema.drop() }
        let store = try await schema.makeStore()
        _ = try await store.createToken(tenant: "t", account: "a", tokenHash: [5, 5], masterKeyID: "mk", sealed: [1])
        do {
            _ = try await store.createToken(
                tenant: "t",
                account: "other-customer",
                tokenHash: [5, 5],
                masterKeyID: "mk",
                sealed: [1]
            )
            Issue.record("expected a duplicate token hash to fail")
        } catch let error as IngestStoreError {
            #expect(error.code == .alreadyExists)
            #expect(!error.description.contains("other-customer"))
        }
        await #expect {
            try await store.storeSecret(
                tenant: "t\u{0}x",
                account: "a",
                masterKeyID: "mk",
                sealed: [],
                previousGraceSeconds: 0
            )
        } throws: { error in
            (error as? IngestStoreError)?.code == .invalidArgument
        }
        await store.shutdown()
        await #expect {
            try await store.activeSecrets(tenant: "t", account: "a")
        } throws: { error in
            (error as? IngestStoreError)?.code == .unavailable
        }
    }

    @Test func unreachableDatabaseIsUnavailable() async throws {
        await #expect {
            try await IngestStore.connect(conninfo: "host=127.0.0.1 port=1 dbname=x connect_timeout=2", poolSize: 1)
        } throws: { error in
            (error as? IngestStoreError)?.code == .unavailable
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func hotPathThroughput() async throws {
        let schema = try TestSchema()
        defer { schema.drop() }
        let store = try await schema.makeStore(poolSize: 8)
        _ = try await store.createToken(tenant: "t", account: "a", tokenHash: [1], masterKeyID: "mk", sealed: [1])
        let calls = 20_000
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<32 {
                group.addTask {
                    for _ in 0..<(calls / 32) {
                        let view = try await store.webhookView(tenant: "t", account: "a")
                        #expect(view.currentToken != nil)
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = Double(calls) / seconds
        print("webhookView: \(Int(rate)) calls/s (8 connections)")
        await store.shutdown()
    }
}
