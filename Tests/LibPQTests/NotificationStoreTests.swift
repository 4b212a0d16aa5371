import ClickBank
import Foundation
import IngestStore
import LibPQ
import Synchronization
import Testing

/// The shared ClickBank notification vectors (../shared/vectors/ipn), verified into notifications.
enum NotificationVectors {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/vectors/ipn")

    struct Vector: Sendable {
        var body: [UInt8]
        var contentType: String
        var notification: ClickBankNotification
    }

    static func load(_ name: String) throws -> Vector {
        let data = try Data(contentsOf: Self.directory.appendingPathComponent(name + ".json"))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let request = try #require(object["request"] as? [String: Any])
        let body = Array(try #require(request["raw_body"] as? String).utf8)
        let contentType = request["content_type"] as? String ?? "application/json"
        let key = try #require(object["secret_key_to_decrypt_with"] as? String)
        let notification = try IPNVerifier.verify(body: body, contentType: contentType, secretKey: key)
        return Vector(body: body, contentType: contentType, notification: notification)
    }
}

@Suite(.requiresPostgreSQL, .timeLimit(.minutes(1)))
struct NotificationStoreTests {
    static let account = "synthvend"

    static func nowMs(minus seconds: Int64 = 0) -> Int64 {
        Int64(Date().timeIntervalSince1970 * 1000) - seconds * 1000
    }

    @Test("the event keys the CSV import computes in Swift are the ones the SQL function computes")
    func eventKeysAgreeWithSQL() async throws {
        let schema = try TestSchema()
        defer { schema.drop() }
        _ = try await schema.makeStore()  // applies the migrations
        let connection = try PGConnection(conninfo: schema.conninfo)
        defer { connection.close() }
        let identities = [
            EventIdentity(account: "synthvend", role: "VENDOR", receipt: "SYNTH001", transactionType: "SALE",
                instantMilliseconds: 1_709_676_207_000, itemNo: "1"),
            EventIdentity(account: "björk", role: "AFFILIATE", receipt: "R:1", transactionType: "RFND",
                instantMilliseconds: -1, itemNo: ""),
            // Fields that would collide if they were simply joined.
            EventIdentity(account: "ab", role: "c", receipt: "", transactionType: "SALE", instantMilliseconds: 0, itemNo: "1"),
            EventIdentity(account: "a", role: "bc", receipt: "", transactionType: "SALE", instantMilliseconds: 0, itemNo: "1"),
        ]
        var keys = Set<String>()
        for identity in identities {
            let rows = try connection.execute(
                "SELECT cbingest_event_key($1, $2, $3, $4, $5::int8)::text",
                [.text(identity.account), .text(identity.role), .text(identity.receipt), .text(identity.transactionType),
                    .init(identity.instantMilliseconds)]
            )
            #expect(rows[0, 0] == identity.eventKey)
            keys.insert(identity.eventKey)
        }
        #expect(keys.count == identities.count)
    }

    /// Stores the vector's raw body as a delivery, then records it verified.
    @discardableResult
    static func deliver(
        _ vector: NotificationVectors.Vector,
        notification: ClickBankNotification? = nil,
        store: IngestStore,
        tenant: String = "t1",
        receivedAtMs: Int64 = nowMs()
    ) async throws -> (deliveryID: Int64, recorded: RecordedNotification) {
        let id = try await store.recordDelivery(
            tenant: tenant, account: Self.account, receivedAtMs: receivedAtMs, contentType: vector.contentType,
            body: vector.body
        )
        let recorded = try await store.recordVerified(
            deliveryID: id, tenant: tenant, account: Self.account, notification: notification ?? vector.notification,
            keyVersion: 1
        )
        return (id, recorded)
    }

    /// Inserts the event of `v7_sale_vendor` (tenant t1, receipt SYNTH001) with few columns, as another
    /// writer would (`source` 'ipn' or 'csv'), in `connection`'s transaction if one is open; returns its id.
    static func insertSaleEvent(_ connection: PGConnection, source: String) throws -> Int64 {
        let timeMs = try NotificationVectors.load("v7_sale_vendor").notification.transactionTime.unixMilliseconds
        return try #require(
            try connection.execute(
                """
                INSERT INTO events (tenant_id, key, account, role, receipt, transaction_type, transaction_time_ms, kind, source)
                VALUES ('t1', cbingest_event_key($1, 'VENDOR', 'SYNTH001', 'SALE', $2::int8), $1, 'VENDOR', 'SYNTH001', 'SALE',
                    $2::int8, 'sale', $3)
                RETURNING id
                """,
                [.text(Self.account), .init(timeMs), .text(source)]
            ).int64(row: 0, column: 0)
        )
    }

    /// A store on `schema` with the endpoint of tenant t1 and `account` (webhook token hash [7, 7]).
    static func storeWithEndpoint(_ schema: TestSchema, poolSize: Int = 4) async throws -> IngestStore {
        let store = try await schema.makeStore(poolSize: poolSize)
        _ = try await store.createToken(tenant: "t1", account: Self.account, tokenHash: [7, 7], masterKeyID: "mk", sealed: [1])
        return store
    }

    static func processID(_ connection: PGConnection) throws -> Int {
        try #require(try connection.execute("SELECT pg_backend_pid()").int(row: 0, column: 0))
    }

    /// Waits (up to 5 s) until a server process waits for a lock that process `blocker` holds, and
    /// returns its id; `application` narrows it to connections of that application name.
    static func processBlocked(by blocker: Int, probe: PGConnection, application: String? = nil) async throws -> Int? {
        for _ in 0..<250 {
            let rows = try probe.execute(
                """
                SELECT pid FROM pg_stat_activity
                WHERE $1::int4 = ANY (pg_blocking_pids(pid)) AND ($2::text IS NULL OR application_name = $2)
                """,
                [.init(blocker), application.map { .text($0) } ?? .null]
            )
            if rows.rowCount == 1 { return rows.int(row: 0, column: 0) }
            try await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    @Test("the VerifyIPN hot path reaches rows by key only, even with its plans made on nearly empty tables")
    func hotPathNeverScansAWholeTable() async throws {
        // Its statements are planned once per connection and the plan is kept. A plan made on small
        // tables (a new database) once read every delivery for each batch, slower as the table grew.
        let schema = try TestSchema()
        defer { schema.drop() }
        let tables = ["ipn_deliveries", "ipn_delivery_bodies", "events", "event_lines", "endpoint_counters", "webhook_tokens", "clickbank_secrets"]
        let connection = try PGConnection(conninfo: schema.conninfo)
        defer { connection.close() }
        func statistics() throws -> [String: (seqScans: Int, inserted: Int, updated: Int)] {
            let rows = try connection.execute(
                """
                SELECT relname, coalesce(seq_scan, 0), n_tup_ins, n_tup_upd FROM pg_stat_user_tables
                WHERE schemaname = current_schema() AND relname = ANY ($1::text[])
                """,
                [.array(tables + ["schema_migrations"])]
            )
            return Dictionary(uniqueKeysWithValues: (0..<rows.rowCount).map {
                (rows[$0, 0] ?? "", (rows.int(row: $0, column: 1) ?? -1, rows.int(row: $0, column: 2) ?? -1, rows.int(row: $0, column: 3) ?? -1))
            })
        }
        // A server process reports its table statistics when idle (at most once a second) and when it
        // exits: the stores are shut down, then the figures are awaited.
        func waitForStatistics(_ reported: ([String: (seqScans: Int, inserted: Int, updated: Int)]) -> Bool) async throws {
            for _ in 0..<200 {
                if try reported(statistics()) { return }
                try await Task.sleep(for: .milliseconds(50))
            }
            Issue.record("the table statistics never showed the work")
        }
        // Setup, not counted: the migrations and the endpoint's token and secret (those scan tables).
        let setup = try await Self.storeWithEndpoint(schema)
        _ = try await setup.storeSecret(tenant: "t1", account: Self.account, masterKeyID: "mk", sealed: [1, 2, 3], previousGraceSeconds: 0)
        await setup.shutdown()
        // Statistics of nearly empty tables, as autovacuum takes them on a new database: without them
        // the planner assumes ten pages a table and picks indexes anyway.
        // (Only this schema's tables: the test database is shared with suites running at the same time.)
        try connection.execute("ANALYZE \(tables.joined(separator: ", "))")
        try await waitForStatistics { statistics in
            (statistics["schema_migrations"]?.inserted ?? 0) >= Migrations.latestVersion
                && statistics["webhook_tokens"]?.inserted == 1 && statistics["clickbank_secrets"]?.inserted == 1
        }
        try connection.execute(
            "SELECT pg_stat_reset_single_table_counters(($1 || '.' || t)::regclass) FROM unnest($2::text[]) t",
            [.text(schema.name), .array(tables)]
        )

        // Only the hot path from here, on one connection: it plans each statement while the tables
        // hold a few rows.
        let store = try await schema.makeStore(poolSize: 1)
        let vector = try NotificationVectors.load("v7_sale_cart_bump")
        for number in 0..<12 {
            var notification = vector.notification
            notification.receipt = "SCAN\(number)"
            // A new event, then a redelivery of it (the path of an event that exists), as VerifyIPN
            // stores and records them.
            for attempt in 0..<2 {
                let notification = notification
                let outcome = try #require(
                    try await store.recordDelivery(
                        tokenHash: [7, 7], receivedAtMs: Self.nowMs(), contentType: vector.contentType, body: vector.body,
                        verifyingWith: { _ in VerifiedNotification(notification: notification, keyVersion: 1) }
                    )
                )
                #expect(outcome.stored.secrets.count == 1)
                #expect(outcome.recorded?.duplicate == (attempt == 1))
            }
            // And one that fails verification.
            let failed = try #require(
                try await store.recordDelivery(tokenHash: [7, 7], receivedAtMs: Self.nowMs(), contentType: "application/json", body: [1])
            )
            try await store.recordFailed(
                deliveryID: failed.deliveryID, tenant: "t1", account: Self.account, failure: "not_json", detail: "test"
            )
        }
        await store.shutdown()
        // Each of the 36 deliveries bumps a counter row once, the last write of each call: once all
        // 36 show, all of the work is in the statistics.
        try await waitForStatistics { ($0["endpoint_counters"].map { $0.inserted + $0.updated } ?? 0) == 36 }
        let scanned = try statistics().filter { tables.contains($0.key) && $0.value.seqScans != 0 }
        #expect(scanned.isEmpty, "whole-table scans: \(scanned.mapValues(\.seqScans))")
        let reopened = try await schema.makeStore(poolSize: 1)
        #expect(try await reopened.endpointState(tenant: "t1", account: Self.account).map { [$0.accepted, $0.rejected] } == [24, 12])
        await reopened.shutdown()
    }

    @Test func rawDeliveryIsStoredBeforeVerification() async throws {
        let schema = try TestSchema()
        defer { schema.drop() }
        let store = try await schema.makeStore()
        let vector = try NotificationVectors.load("v7_sale_vendor")
        let receivedAt = Self.nowMs(minus: 60)

        let id = try await store.recordDelivery(
            tenant: "t1", account: Self.account, receivedAtMs: receivedAt, contentType: vector.contentType,
            body: vector.body
        )
        let pending = try #require(try await store.deliveryState(tenant: "t1", deliveryID: id))
        #expect(pending.status == "received" && pending.receivedAtMs == receivedAt)
        #expect(pending.eventID == nil && pending.processedAtMs == nil)
        #expect(try await store.eventCount(tenant: "t1", account: Self.account) == 0)
        // A process that died here leaves it to the recovery sweep, body intact.
        let unprocessed = try await store.unprocessedDeliveries(olderThanSeconds: 30, limit: 10)
        #expect(unprocessed.map(\.id) == [id])
        #expect(unprocessed.first?.body == vector.body && unprocessed.first?.tenant == "t1")
        #expect(try await store.unprocessedDeliveries(olderThanSeconds: 3600, limit: 10).isEmpty)

        let recorded = try await store.recordVerified(
            deliveryID: id, tenant: "t1", account: Self.account, notification: vector.notification, keyVersion: 3
        )
        #expect(!recorded.duplicate && !recorded.isTest && recorded.linesInserted == 1)
        let eventID = try #require(recorded.eventID)
        let verified = try #require(try await store.deliveryState(tenant: "t1", deliveryID: id))
        #expect(verified.status == "verified" && verified.keyVersion == 3 && verified.eventID == eventID)
        #expect(verified.duplicate == false && !verified.isTest && verified.processedAtMs != nil)
        #expect(try await store.unprocessedDeliveries(olderThanSeconds: 30, limit: 10).isEmpty)

        let events = try await store.events(tenant: "t1", account: Self.account)
        #expect(events.count == 1)
        let event = try #require(events.first)
        #expect(event.id == eventID && event.receipt == "SYNTH001" && event.transactionType == "SALE")
        #expect(event.role == "VENDOR" && event.kind == "sale" && event.source == "ipn")
        #expect(event.transactionTimeMs == vector.notification.transactionTime.unixMilliseconds)
        #expect(event.totalAccountAmount == "31.96" && event.currency == "USD" && event.lineCount == 1)
        #expect(event.csvConfirmedAtMs == nil && event.attemptCount == 1)

        // Recording it again (a replay racing the sweep) changes nothing and counts nothing.
        let again = try await store.recordVerified(
            deliveryID: id, tenant: "t1", account: Self.account, notification: vector.notification, keyVersion: 3
        )
        #expect(again.eventID == eventID && again.linesInserted == 0)
        let endpoint = try #require(try await store.endpointState(tenant: "t1", account: Self.account))
        #expect(endpoint.accepted == 1 && endpoint.rejected == 0 && endpoint.lastNotificationAtMs == receivedAt)
        await store.shutdown()
    }

    @Test func redeliveryIsOneEvent() async throws {
        let schema = try TestSchema()
        defer { schema.drop() }
        let store = try await schema.makeStore()
        let first = try NotificationVectors.load("v7_sale_vendor")
        let retry = try NotificationVectors.load("v7_sale_vendor_retry3")
        #expect(first.body != retry.body)  // another IV and attempt: only the natural key is shared
        #expect(retry.notification.attemptCount == 3)

        let (_, a) = try await Self.deliver(first, store: store)
        let (retryID, b) = try await Self.deliver(retry, store: store)
        #expect(!a.duplicate && a.linesInserted == 1)
        #expect(b.duplicate && b.eventID == a.eventID && b.linesInserted == 0)
        #expect(try await store.deliveryState(tenant: "t1", deliveryID: retryID)?.duplicate == true)
        let events = try await store.events(tenant: "t1", account: Self.account)
        #expect(events.count == 1 && events.first?.lineCount == 1 && events.first?.attemptCount == 1)
        #expect(try await store.eventLines(tenant: "t1", account: Self.account, receipt: "SYNTH001").count == 1)
        let endpoint = try #require(try await store.endpointState(tenant: "t1", account: Self.account))
        #expect(endpoint.accepted == 2 && endpoint.rejected == 0)
        await store.shutdown()
    }

    @Test func concurrentIdenticalDeliveriesMakeOneEvent() async throws {
        let schema = try TestSchema()
        defer { schema.drop() }
        let store = try await schema.makeStore(poolSize: 8)
        let vector = try NotificationVectors.load("v7_sale_cart_bump")
        var ids: [Int64] = []
        for _ in 0..<20 {
            ids.append(
                try await store.recordDelivery(
                    tenant: "t1", account: Self.account, receivedAtMs: Self.nowMs(), contentType: vector.contentType,
                    body: vector.body
                )
            )
        }
        let results = try await withThrowingTaskGroup(of: RecordedNotification.self) { group in
            for id in ids {
                group.addTask {
                    try await store.recordVerified(
                        deliveryID: id, tenant: "t1", account: Self.account, notification: vector.notification,
                        keyVersion: 1
                    )
                }
            }
            return try await group.reduce(into: [RecordedNotification]()) { $0.append($1) }
        }
        #expect(results.count == 20)
        #expect(results.filter { !$0.duplicate }.count == 1)
        #expect(results.filter(\.duplicate).count == 19)
        #expect(Set(results.map(\.eventID)).count == 1 && results.first?.eventID != nil)
        #expect(results.map(\.linesInserted).reduce(0, +) == 2)
        #expect(try await store.eventCount(tenant: "t1", account: Self.account) == 1)
        #expect(try await store.eventLines(tenant: "t1", account: Self.account, receipt: "SYNTH002").count == 2)
        let endpoint = try #require(try await store.endpointState(tenant: "t1", account: Self.account))
        #expect(endpoint.accepted == 20 && endpoint.rejected == 0)
        await store.shutdown()
    }

    @Test func oneDeliveryRecordedManyTimesAtOnceCountsOnce() async throws {
        let schema = try TestSchema()
        defer { schema.drop() }
        let store = try await schema.makeStore(poolSize: 8)
        let vector = try NotificationVectors.load("v7_sale_cart_bump")
        let id = try await store.recordDelivery(
            tenant: "t1", account: Self.account, receivedAtMs: Self.nowMs(), contentType: vector.contentType, body: vector.body
        )
        // Replays and the recovery sweep racing on one delivery, so that batches name it more than once:
        // it is recorded by one of them; the others find it recorded and change nothing.
        let results = try await withThrowingTaskGroup(of: RecordedNotification.self) { group in
            for _ in 0..<12 {
                group.addTask {
                    try await store.recordVerified(
                        deliveryID: id, tenant: "t1", account: Self.account, notification: vector.notification, keyVersion: 1
                    )
                }
            }
            return try await group.reduce(into: [RecordedNotification]()) { $0.append($1) }
        }
        #expect(results.count == 12)
        #expect(Set(results.map(\.eventID)).count == 1 && results.first?.eventID != nil)
        #expect(results.filter { !$0.duplicate }.count == 12, "every call reports the one recording, which made the event")
        #expect(results.map(\.linesInserted).reduce(0, +) == 2)
        #expect(try await store.eventCount(tenant: "t1", account: Self.account) == 1)
        let endpoint = try #require(try await store.endpointState(tenant: "t1", account: Self.account))
        #expect(endpoint.accepted == 1 && endpoint.rejected == 0)
        await store.shutdown()
    }

    @Test func concurrentDeliveriesAreEachStoredOnceAndABadOneFailsAlone() async throws {
        let schema = try TestSchema()
        defer { schema.drop() }
        let store = try await Self.storeWithEndpoint(schema)
        // Fifty at once go in a few group commits; the one whose content type can't be stored (a NUL)
        // fails alone, and none of the others is lost or stored twice.
        let outcomes = await withTaskGroup(of: (Int, Result<StoredDeliveryWithSecrets?, any Error>).self) { group in
            for index in 0..<50 {
                group.addTask {
                    let contentType = index == 17 ? "text/plain\u{0}" : "application/json"
                    // Every tenth names a token nobody has: nothing of it is stored, the rest of its batch is.
                    let token: [UInt8] = index % 10 == 3 ? [9, 9] : [7, 7]
                    do {
                        let delivery = try await store.recordDelivery(
                            tokenHash: token, receivedAtMs: Self.nowMs(), contentType: contentType, body: Array("body \(index)".utf8)
                        )
                        return (index, .success(delivery))
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            return await group.reduce(into: [Int: Result<StoredDeliveryWithSecrets?, any Error>]()) { $0[$1.0] = $1.1 }
        }
        #expect(outcomes.count == 50)
        let failure = try #require(outcomes[17].flatMap { result -> (any Error)? in
            if case .failure(let error) = result { return error }
            return nil
        })
        #expect((failure as? IngestStoreError)?.code == .invalidArgument)
        let stored = outcomes.compactMap { index, result -> (Int, Int64)? in
            guard case .success(let delivery?) = result else { return nil }
            return (index, delivery.deliveryID)
        }
        let unknown = outcomes.filter { index, result in
            guard case .success(nil) = result else { return false }
            return index % 10 == 3
        }
        #expect(unknown.count == 5)
        #expect(stored.count == 44 && Set(stored.map { $0.1 }).count == 44)
        #expect(stored.allSatisfy { index, _ in index % 10 != 3 && index != 17 })
        let connection = try PGConnection(conninfo: schema.conninfo)
        defer { connection.close() }
        let rows = try connection.execute("""
            SELECT d.id, convert_from(b.body, 'UTF8') FROM ipn_deliveries d
            JOIN ipn_delivery_bodies b ON b.tenant_id = d.tenant_id AND b.delivery_id = d.id ORDER BY d.id
            """)
        #expect(rows.rowCount == 44)
        let bodies = Dictionary(uniqueKeysWithValues: (0..<rows.rowCount).map { (rows.int64(row: $0, column: 0) ?? 0, rows[$0, 1] ?? "") })
        for (index, id) in stored {
            #expect(bodies[id] == "body \(index)")
        }
        await store.shutdown()
    }

    @Test("VerifyIPN's path: each body is verified only once its delivery is committed, and recorded once")
    func deliveriesVerifiedOnceStoredAndRecordedTogether() async throws {
        let schema = try TestSchema()
        defer { schema.drop() }
        let store = try await Self.storeWithEndpoint(schema)
        let vector = try NotificationVectors.load("v7_sale_cart_bump")
        struct NotVerified: Error {}
        /// What another session saw of each delivery while its body was being verified.
        final class Observations: Sendable {
            let statuses = Mutex([Int64: String]())
        }
        let seenWhileVerifying = Observations()
        let conninfo = schema.conninfo
        // 30 at once, so they share batches: every third fails verification, and the others name 10
        // receipts (index / 3), so each event is verified twice and recorded once.
        let outcomes = try await withThrowingTaskGroup(of: (Int, DeliveryOutcome?).self) { group in
            for index in 0..<30 {
                group.addTask {
                    // Every tenth names a token nobody has: nothing is stored, nothing verified.
                    let token: [UInt8] = index == 10 || index == 20 ? [9, 9] : [7, 7]
                    let outcome = try await store.recordDelivery(
                        tokenHash: token, receivedAtMs: Self.nowMs(), contentType: vector.contentType,
                        body: Array("body \(index)".utf8),
                        verifyingWith: { stored in
                            let observer = try PGConnection(conninfo: conninfo)
                            defer { observer.close() }
                            let rows = try observer.execute(
                                "SELECT status FROM ipn_deliveries WHERE id = $1", [.init(stored.deliveryID)]
                            )
                            let status = rows.rowCount == 1 ? rows[0, 0] ?? "NULL" : "missing"
                            seenWhileVerifying.statuses.withLock { $0[stored.deliveryID] = status }
                            guard index % 3 != 0 else { throw NotVerified() }
                            var notification = vector.notification
                            notification.receipt = "FUSED\(index / 3)"
                            return VerifiedNotification(notification: notification, keyVersion: 1)
                        }
                    )
                    return (index, outcome)
                }
            }
            return try await group.reduce(into: [Int: DeliveryOutcome?]()) { $0[$1.0] = $1.1 }
        }
        #expect(outcomes.count == 30)
        #expect([10, 20].allSatisfy { index in outcomes[index].map { $0 == nil } == true }, "unknown tokens store nothing")
        let stored = outcomes.compactMapValues { $0 }
        #expect(stored.count == 28)
        // Committed (seen by another session) before verification began, for every stored delivery.
        let seen = seenWhileVerifying.statuses.withLock { $0 }
        #expect(seen.count == 28 && seen.values.allSatisfy { $0 == "received" }, "\(seen)")
        for (index, outcome) in stored {
            if index % 3 == 0 {
                #expect(throws: NotVerified.self) { try outcome.verification.get() }
                #expect(outcome.recorded == nil)
            } else {
                #expect(try outcome.verification.get().notification.receipt == "FUSED\(index / 3)")
                #expect(outcome.recorded != nil)
            }
        }
        // Each receipt once new, once a duplicate (the two deliveries of a receipt may share a batch).
        let recorded = stored.filter { $0.key % 3 != 0 }
        for receipt in 0..<10 where receipt != 10 / 3 && receipt != 20 / 3 {
            let pair = recorded.filter { $0.key / 3 == receipt }.compactMap { $0.value.recorded?.duplicate }
            #expect(pair.sorted { !$0 && $1 } == [false, true], "receipt \(receipt): \(pair)")
        }
        // The receipts whose second delivery named an unknown token: recorded once, as new.
        #expect([11, 19].map { recorded[$0]?.recorded?.duplicate } == [false, false])
        let connection = try PGConnection(conninfo: schema.conninfo)
        defer { connection.close() }
        let statuses = try connection.execute("SELECT status, count(*) FROM ipn_deliveries GROUP BY status ORDER BY status")
        // The failures are left as received: the caller records them (VerifyIPN does, with the reason).
        #expect((0..<statuses.rowCount).map { "\(statuses[$0, 0] ?? ""):\(statuses[$0, 1] ?? "")" } == ["received:10", "verified:18"])
        let events = try connection.execute("SELECT receipt FROM events ORDER BY receipt")
        #expect((0..<events.rowCount).compactMap { events[$0, 0] } == (0..<10).map { "FUSED\($0)" })
        await store.shutdown()
    }

    @Test func deliveriesWaitingForABatchWhenTheStoreShutsDownEachGetAnAnswer() async throws {
        let schema = try TestSchema()
        defer { schema.drop() }
        let store = try await Self.storeWithEndpoint(schema, poolSize: 2)
        // Many calls queue behind the batch being written; the store shuts down meanwhile. Each call
        // returns (none hangs): stored, or refused as unavailable, and exactly the stored ones are in
        // the database.
        let calls = (0..<200).map { index in
            Task { () -> Result<Int64, any Error> in
                do {
                    let delivery = try await store.recordDelivery(
                        tokenHash: [7, 7], receivedAtMs: Self.nowMs(), contentType: "application/json", body: Array("b\(index)".utf8)
                    )
                    return .success(try #require(delivery).deliveryID)
                } catch {
                    return .failure(error)
                }
            }
        }
        try await Task.sleep(for: .milliseconds(2))
        await store.shutdown()
        var stored: Set<Int64> = []
        var refused = 0
        for call in calls {
            switch await call.value {
            case .success(let id):
                stored.insert(id)
            case .failure(let error):
                #expect((error as? IngestStoreError)?.code == .unavailable, "\(error)")
                refused += 1
            }
        }
        #expect(stored.count + refused == 200)
        let connection = try PGConnection(conninfo: schema.conninfo)
        defer { connection.close() }
        let rows = try connection.execute("SELECT id FROM ipn_deliveries")
        #expect(Set((0..<rows.rowCount).compactMap { rows.int64(row: $0, column: 0) }) == stored)
        // After shutdown a call is refused at once.
        await #expect(throws: IngestStoreError.self) {
            try await store.recordDelivery(tokenHash: [7, 7], receivedAtMs: Self.nowMs(), contentType: "a", body: [1])
        }
    }

    @Test func batchedRecordingsOfTwoAccountsAndOneThatFailsOnTheServer() async throws {
        let schema = try TestSchema()
        defer { schema.drop() }
        let store = try await schema.makeStore(poolSize: 8)
        let vector = try NotificationVectors.load("v7_sale_cart_bump")
        var deliveries: [(account: String, id: Int64)] = []
        for account in [Self.account, "otheracct"] {
            for _ in 0..<10 {
                let id = try await store.recordDelivery(
                    tenant: "t1", account: account, receivedAtMs: Self.nowMs(), contentType: vector.contentType,
                    body: vector.body
                )
                deliveries.append((account, id))
            }
        }
        // Recorded at once, so they share batches; one names a delivery that doesn't exist: that call
        // fails alone, and the rest of its batch is recorded.
        let outcomes = await withTaskGroup(of: (Int64, RecordedNotification?).self) { group in
            for (account, id) in deliveries + [(Self.account, Int64(987_654_321))] {
                group.addTask {
                    let recorded = try? await store.recordVerified(
                        deliveryID: id, tenant: "t1", account: account, notification: vector.notification, keyVersion: 1
                    )
                    return (id, recorded)
                }
            }
            return await group.reduce(into: [Int64: RecordedNotification?]()) { $0[$1.0] = $1.1 }
        }
        #expect(outcomes[987_654_321] == .some(nil), "the unknown delivery must fail")
        for account in [Self.account, "otheracct"] {
            let recorded = deliveries.filter { $0.account == account }.compactMap { outcomes[$0.id] ?? nil }
            #expect(recorded.count == 10)
            #expect(recorded.filter { !$0.duplicate }.count == 1 && Set(recorded.map(\.eventID)).count == 1)
            #expect(try await store.eventCount(tenant: "t1", account: account) == 1)
            let endpoint = try #require(try await store.endpointState(tenant: "t1", account: account))
            #expect(endpoint.accepted == 10 && endpoint.rejected == 0)
        }
        await store.shutdown()
    }

    @Test func moneyOutIsStoredNegativeWhateverTheSignSent() async throws {
        let schema = try TestSchema()
        defer { schema.drop() }
        let store = try await schema.makeStore()
        let refund = try NotificationVectors.load("v7_refund")
        #expect(refund.notification.totalAccountAmount?.isNegative == true)  // as ClickBank sent it
        try await Self.deliver(refund, store: store)

        // The same refund with positive amounts (another receipt, so another event) is stored negative too.
        var positive = refund.notification
        positive.receipt = "SYNTH009"
        positive.totalAccountAmount = positive.totalAccountAmount?.withSign(negative: false)
        positive.lineItems[0].accountAmount = positive.lineItems[0].accountAmount?.withSign(negative: false)
        try await Self.deliver(refund, notification: positive, store: store)

        // And a sale sent with a negative amount is stored positive.
        let saleVector = try NotificationVectors.load("v7_sale_vendor")
        var sale = saleVector.notification
        sale.totalAccountAmount = sale.totalAccountAmount?.withSign(negative: true)
        sale.lineItems[0].accountAmount = sale.lineItems[0].accountAmount?.withSign(negative: true)
        try await Self.deliver(saleVector, notification: sale, store: store)

        let events = try await store.events(tenant: "t1", account: Self.account)
        #expect(events.map(\.kind) == ["refund", "refund", "sale"])
        #expect(events.map(\.totalAccountAmount) == ["-31.96", "-31.96", "31.96"])
        let lines = try await store.eventLines(tenant: "t1", account: Self.account, receipt: "SYNTH001")
        #expect(lines.map(\.transactionType) == ["RFND", "SALE"])
        #expect(lines.map(\.accountAmount) == ["-31.96", "31.96"])
        let other = try await store.eventLines(tenant: "t1", account: Self.account, receipt: "SYNTH009")
        #expect(other.map(\.accountAmount) == ["-31.96"])
        await store.shutdown()
    }

    @Test func cartStoresOneLinePerItem() async throws {
        let schema = try TestSchema()
        defer { schema.drop() }
        let store = try await schema.makeStore()
        let cart = try NotificationVectors.load("v7_sale_cart_bump")
        let (_, sale) = try await Self.deliver(cart, store: store)
        #expect(sale.linesInserted == 2)
        let chargeback = try NotificationVectors.load("v7_chargeback")
        let (_, back) = try await Self.deliver(chargeback, store: store)
        #expect(!back.duplicate && back.linesInserted == 2 && back.eventID != sale.eventID)

        let events = try await store.events(tenant: "t1", account: Self.account)
        #expect(events.map(\.lineCount) == [2, 2])
        #expect(events.map(\.totalAccountAmount) == ["52.10", "-52.10"])
        let lines = try await store.eventLines(tenant: "t1", account: Self.account, receipt: "SYNTH002")
        #expect(lines.map(\.transactionType) == ["CGBK", "CGBK", "SALE", "SALE"])
        #expect(lines.map(\.itemNo) == ["1", "bump1", "1", "bump1"])
        #expect(lines.map(\.accountAmount) == ["-31.96", "-20.14", "31.96", "20.14"])
        #expect(lines.map(\.lineItemType) == ["ORIGINAL", "BUMP", "ORIGINAL", "BUMP"])
        #expect(lines.filter { $0.transactionType == "SALE" }.allSatisfy { $0.eventID == sale.eventID })
        await store.shutdown()
    }

    @Test func linesWithoutItemsOrWithARepeatedItemNumber() async throws {
        let schema = try TestSchema()
        defer { schema.drop() }
        let store = try await schema.makeStore()
        let vector = try NotificationVectors.load("v7_sale_cart_bump")

        // No line items: one line with item "" carrying the total.
        var bare = vector.notification
        bare.receipt = "BARE0001"
        bare.lineItems = []
        let (_, a) = try await Self.deliver(vector, notification: bare, store: store)
        #expect(a.linesInserted == 1)
        let bareLines = try await store.eventLines(tenant: "t1", account: Self.account, receipt: "BARE0001")
        #expect(bareLines.map(\.itemNo) == [""] && bareLines.map(\.accountAmount) == ["52.10"])

        // A repeated itemNo keeps its first line instead of failing the whole notification.
        var repeated = vector.notification
        repeated.receipt = "REPEAT01"
        repeated.lineItems[1].itemNo = repeated.lineItems[0].itemNo
        let (id, b) = try await Self.deliver(vector, notification: repeated, store: store)
        #expect(b.linesInserted == 1 && b.eventID != nil)
        #expect(try await store.deliveryState(tenant: "t1", deliveryID: id)?.status == "verified")
        let lines = try await store.eventLines(tenant: "t1", account: Self.account, receipt: "REPEAT01")
        #expect(lines.map(\.itemNo) == ["1"] && lines.map(\.accountAmount) == ["31.96"])
        await store.shutdown()
    }

    @Test func testIPNStoresNoEventAndMarksTheEndpointTested() async throws {
        let schema = try TestSchema()
        defer { schema.drop() }
        let store = try await schema.makeStore()
        let vector = try NotificationVectors.load("v7_test_button")
        #expect(vector.notification.isTestIPN)
        let receivedAt = Self.nowMs(minus: 10)
        let (id, recorded) = try await Self.deliver(vector, store: store, receivedAtMs: receivedAt)
        #expect(recorded.isTest && recorded.eventID == nil && !recorded.duplicate && recorded.linesInserted == 0)
        #expect(try await store.eventCount(tenant: "t1", account: Self.account) == 0)
        #expect(try await store.eventLines(tenant: "t1", account: Self.account, receipt: "********").isEmpty)
        let state = try #require(try await store.deliveryState(tenant: "t1", deliveryID: id))
        #expect(state.status == "verified" && state.isTest && state.eventID == nil)
        var endpoint = try #require(try await store.endpointState(tenant: "t1", account: Self.account))
        #expect(endpoint.testSeenAtMs == receivedAt && endpoint.accepted == 1)

        // Every test shares one receipt: a second one is not a duplicate, and an older arrival (processed
        // late) doesn't move the endpoint's times back.
        let (_, second) = try await Self.deliver(vector, store: store, receivedAtMs: receivedAt - 60_000)
        #expect(second.isTest && !second.duplicate && second.eventID == nil)
        endpoint = try #require(try await store.endpointState(tenant: "t1", account: Self.account))
        #expect(endpoint.testSeenAtMs == receivedAt && endpoint.lastNotificationAtMs == receivedAt)
        #expect(endpoint.accepted == 2)
        await store.shutdown()
    }

    @Test func failedThenReplayedDeliveryMovesFromRejectedToAccepted() async throws {
        let schema = try TestSchema()
        defer { schema.drop() }
        let store = try await schema.makeStore()
        let vector = try NotificationVectors.load("v7_sale_vendor")
        let other = try await store.recordDelivery(
            tenant: "t1", account: Self.account, receivedAtMs: Self.nowMs(), contentType: "application/json",
            body: Array("{}".utf8)
        )
        try await store.recordFailed(
            deliveryID: other, tenant: "t1", account: Self.account, failure: "malformed_body", detail: "no iv"
        )
        let id = try await store.recordDelivery(
            tenant: "t1", account: Self.account, receivedAtMs: Self.nowMs(), contentType: vector.contentType,
            body: vector.body
        )
        try await store.recordFailed(
            deliveryID: id, tenant: "t1", account: Self.account, failure: "no_secret", detail: "no key stored yet"
        )
        var endpoint = try #require(try await store.endpointState(tenant: "t1", account: Self.account))
        #expect(endpoint.accepted == 0 && endpoint.rejected == 2)
        let failed = try #require(try await store.deliveryState(tenant: "t1", deliveryID: id))
        #expect(failed.status == "failed" && failed.failure == "no_secret")
        #expect(failed.failureDetail == "no key stored yet")
        let toReverify = try await store.deliveriesToReverify(tenant: "t1", account: Self.account, limit: 10)
        #expect(toReverify.map(\.id) == [other, id])
        let page = try await store.deliveriesToReverify(tenant: "t1", account: Self.account, afterID: other, limit: 10)
        #expect(page.map(\.id) == [id] && page.first?.body == vector.body)

        // Re-verification with a wrong key fails again: a new reason, counted once.
        try await store.recordFailed(
            deliveryID: id, tenant: "t1", account: Self.account, failure: "bad_padding", detail: "wrong key"
        )
        endpoint = try #require(try await store.endpointState(tenant: "t1", account: Self.account))
        #expect(endpoint.rejected == 2)
        #expect(try await store.deliveryState(tenant: "t1", deliveryID: id)?.failure == "bad_padding")

        // Then the right key: the delivery moves from rejected to accepted.
        let recorded = try await store.recordVerified(
            deliveryID: id, tenant: "t1", account: Self.account, notification: vector.notification, keyVersion: 2
        )
        #expect(!recorded.duplicate && recorded.eventID != nil)
        endpoint = try #require(try await store.endpointState(tenant: "t1", account: Self.account))
        #expect(endpoint.accepted == 1 && endpoint.rejected == 1)
        let verified = try #require(try await store.deliveryState(tenant: "t1", deliveryID: id))
        #expect(verified.status == "verified" && verified.failure == nil && verified.keyVersion == 2)
        let remaining = try await store.deliveriesToReverify(tenant: "t1", account: Self.account, limit: 10)
        #expect(remaining.map(\.id) == [other])

        // A late failure (a sweep that raced the verification) never undoes a verified delivery.
        try await store.recordFailed(
            deliveryID: id, tenant: "t1", account: Self.account, failure: "bad_padding", detail: "late"
        )
        #expect(try await store.deliveryState(tenant: "t1", deliveryID: id)?.status == "verified")
        endpoint = try #require(try await store.endpointState(tenant: "t1", account: Self.account))
        #expect(endpoint.accepted == 1 && endpoint.rejected == 1)
        #expect(try await store.eventCount(tenant: "t1", account: Self.account) == 1)
        await store.shutdown()
    }

    @Test func tenantsAreIsolated() async throws {
        let schema = try TestSchema()
        defer { schema.drop() }
        let store = try await schema.makeStore()
        let vector = try NotificationVectors.load("v7_sale_vendor")
        let (id1, a) = try await Self.deliver(vector, store: store, tenant: "t1")
        let (id2, b) = try await Self.deliver(vector, store: store, tenant: "t2")
        #expect(!a.duplicate && !b.duplicate && a.linesInserted == 1 && b.linesInserted == 1)
        let event1 = try #require(a.eventID)
        let event2 = try #require(b.eventID)
        #expect(event1 != event2)

        let one = try await store.events(tenant: "t1", account: Self.account)
        let two = try await store.events(tenant: "t2", account: Self.account)
        #expect(one.map(\.id) == [event1] && two.map(\.id) == [event2])
        #expect(try await store.eventCount(tenant: "t3", account: Self.account) == 0)
        let lines = try await store.eventLines(tenant: "t1", account: Self.account, receipt: "SYNTH001")
        #expect(lines.map(\.eventID) == [event1])
        // A delivery id of one tenant means nothing under another.
        if id1 != id2 {
            #expect(try await store.deliveryState(tenant: "t2", deliveryID: id1) == nil)
        }
        #expect(try await store.deliveryState(tenant: "t3", deliveryID: id2) == nil)
        await #expect(throws: IngestStoreError.self) {
            try await store.recordVerified(
                deliveryID: id1, tenant: "t3", account: Self.account, notification: vector.notification, keyVersion: 1
            )
        }
        await #expect(throws: IngestStoreError.self) {
            try await store.recordFailed(deliveryID: id1, tenant: "t3", account: Self.account, failure: "x", detail: "")
        }
        #expect(try await store.deliveryState(tenant: "t1", deliveryID: id1)?.status == "verified")
        let endpoint1 = try #require(try await store.endpointState(tenant: "t1", account: Self.account))
        #expect(endpoint1.accepted == 1 && endpoint1.rejected == 0)
        await store.shutdown()
    }

    @Test func webhookUpgradesAnEventACSVImportStoredFirst() async throws {
        let schema = try TestSchema()
        defer { schema.drop() }
        let store = try await schema.makeStore()
        let vector = try NotificationVectors.load("v7_sale_vendor")
        let timeMs = vector.notification.transactionTime.unixMilliseconds

        // What a CSV import stores: fewer columns, no document; a day ago.
        let connection = try PGConnection(conninfo: schema.conninfo)
        let inserted = try connection.execute(
            """
            INSERT INTO events (tenant_id, key, account, role, receipt, transaction_type, transaction_time_ms, kind,
                total_account_amount, source, created_at)
            VALUES ($1, cbingest_event_key($2, 'VENDOR', 'SYNTH001', 'SALE', $3::int8), $2, 'VENDOR', 'SYNTH001', 'SALE',
                $3::int8, 'sale', 31.96, 'csv', now() - interval '1 day')
            RETURNING id, floor(extract(epoch FROM created_at) * 1000)::int8
            """,
            [.text("t1"), .text(Self.account), .init(timeMs)]
        )
        let csvID = try #require(inserted.int64(row: 0, column: 0))
        let csvCreatedAt = try #require(inserted.int64(row: 0, column: 1))
        try connection.execute(
            """
            INSERT INTO event_lines (tenant_id, item_no, event_id, account_amount, source)
            VALUES ($1, '1', $2::int8, 31.96, 'csv')
            """,
            [.text("t1"), .init(csvID)]
        )
        connection.close()

        let (id, recorded) = try await Self.deliver(vector, store: store)
        #expect(recorded.duplicate && recorded.eventID == csvID && recorded.linesInserted == 0)
        #expect(try await store.deliveryState(tenant: "t1", deliveryID: id)?.eventID == csvID)
        let events = try await store.events(tenant: "t1", account: Self.account)
        #expect(events.count == 1)
        let event = try #require(events.first)
        #expect(event.id == csvID && event.source == "ipn" && event.csvConfirmedAtMs == csvCreatedAt)
        #expect(event.attemptCount == 1 && event.currency == "USD" && event.totalAccountAmount == "31.96")
        let lines = try await store.eventLines(tenant: "t1", account: Self.account, receipt: "SYNTH001")
        #expect(lines.count == 1)
        #expect(lines.first?.source == "ipn" && lines.first?.csvConfirmedAtMs != nil)
        #expect(lines.first?.lineItemType == "ORIGINAL" && lines.first?.quantity == 1)
        // The customer columns come from the notification's billing customer.
        let check = try PGConnection(conninfo: schema.conninfo)
        let customer = try check.execute(
            """
            SELECT customer_email, customer_full_name, customer_city, customer_postal_code, tracking_code
            FROM events WHERE tenant_id = 't1' AND id = $1
            """,
            [.init(csvID)]
        )
        check.close()
        #expect(customer[0, 0] == "alex.sample@example.com" && customer[0, 1] == "Alex Sample")
        #expect(customer[0, 2] == nil && customer[0, 3] == "89101" && customer[0, 4] == "fb_ad12")

        // A redelivery afterwards is a plain duplicate and keeps the CSV confirmation.
        let retry = try NotificationVectors.load("v7_sale_vendor_retry3")
        let (_, again) = try await Self.deliver(retry, store: store)
        #expect(again.duplicate && again.eventID == csvID)
        let after = try await store.events(tenant: "t1", account: Self.account)
        #expect(after.count == 1 && after.first?.csvConfirmedAtMs == csvCreatedAt && after.first?.attemptCount == 1)
        await store.shutdown()
    }

    @Test("a recording that waits for a CSV import's event holds no endpoint counter row meanwhile")
    func countersAreLockedAfterCSVEvents() async throws {
        let schema = try TestSchema()
        defer { schema.drop() }
        let store = try await schema.makeStore()
        let vector = try NotificationVectors.load("v7_sale_vendor")
        let setup = try PGConnection(conninfo: schema.conninfo)
        defer { setup.close() }
        // The event came from a CSV import first; the counter rows exist, so a lock on one shows.
        let csvID = try Self.insertSaleEvent(setup, source: "csv")
        try setup.execute(
            "INSERT INTO endpoint_counters (tenant_id, account, shard) SELECT 't1', $1, s FROM generate_series(0, 15) s",
            [.text(Self.account)]
        )
        let id = try await store.recordDelivery(
            tenant: "t1", account: Self.account, receivedAtMs: Self.nowMs(), contentType: vector.contentType, body: vector.body
        )
        // A CSV import confirming the event holds it.
        let importer = try PGConnection(conninfo: schema.conninfo)
        defer { importer.close() }
        let importerPID = try Self.processID(importer)
        try importer.execute("BEGIN")
        try importer.execute("SELECT 1 FROM events WHERE tenant_id = 't1' AND id = $1::int8 FOR UPDATE", [.init(csvID)])
        let recording = Task {
            try await store.recordVerified(deliveryID: id, tenant: "t1", account: Self.account, notification: vector.notification, keyVersion: 1)
        }
        #expect(try await Self.processBlocked(by: importerPID, probe: setup) != nil)
        // Its counter shard is free while it waits.
        try setup.execute("BEGIN")
        #expect(throws: Never.self) {
            try setup.execute(
                "SELECT 1 FROM endpoint_counters WHERE tenant_id = 't1' AND shard = $1::int2 FOR UPDATE NOWAIT", [.init(id % 16)]
            )
        }
        try setup.execute("ROLLBACK")
        try importer.execute("COMMIT")
        let recorded = try await recording.value
        #expect(recorded.eventID == csvID && recorded.duplicate)
        #expect(try await store.events(tenant: "t1", account: Self.account).first?.source == "ipn")
        await store.shutdown()
    }

    @Test("a recording written again that fails doesn't fail the ones its batch already committed")
    func aFailedSecondAttemptFailsOnlyWhatItWrites() async throws {
        let schema = try TestSchema()
        defer { schema.drop() }
        _ = try await schema.makeStore().shutdown()  // the migrations
        // The store's connections carry a name of their own, so this test finds only its own waiting statements.
        let application = TestDatabase.uniqueName("retry")
        let separator = schema.conninfo.contains("://") ? (schema.conninfo.contains("?") ? "&" : "?") : " "
        let conninfo = schema.conninfo + separator + "application_name=" + application
        let store = try await IngestStore.connect(conninfo: conninfo, poolSize: 4)
        let vector = try NotificationVectors.load("v7_sale_vendor")  // receipt SYNTH001
        var plain = vector.notification
        plain.receipt = "PLAIN002"
        var blocker = vector.notification
        blocker.receipt = "FIRST003"
        func delivery() async throws -> Int64 {
            try await store.recordDelivery(
                tenant: "t1", account: Self.account, receivedAtMs: Self.nowMs(), contentType: vector.contentType, body: vector.body
            )
        }
        let (first, plainID, racingID) = (try await delivery(), try await delivery(), try await delivery())
        let probe = try PGConnection(conninfo: schema.conninfo)
        defer { probe.close() }
        /// The store's statement that waits for a lock `blocker` (a process id) holds.
        func waitingRecording(blockedBy blocker: Int) async throws -> Int? {
            try await Self.processBlocked(by: blocker, probe: probe, application: application)
        }
        // Another transaction holds the first delivery, so the batch writer waits on it while the
        // next two recordings queue up to share a batch.
        let holder = try PGConnection(conninfo: schema.conninfo)
        defer { holder.close() }
        let holderPID = try Self.processID(holder)
        try holder.execute("BEGIN")
        try holder.execute("SELECT 1 FROM ipn_deliveries WHERE tenant_id = 't1' AND id = $1::int8 FOR UPDATE", [.init(first)])
        // Another instance is inserting SYNTH001's event, and a third transaction a line of it.
        let inserter = try PGConnection(conninfo: schema.conninfo)
        defer { inserter.close() }
        let inserterPID = try Self.processID(inserter)
        try inserter.execute("BEGIN")
        let otherID = try Self.insertSaleEvent(inserter, source: "ipn")
        let liner = try PGConnection(conninfo: schema.conninfo)
        defer { liner.close() }
        let linerPID = try Self.processID(liner)
        try liner.execute("BEGIN")
        try liner.execute(
            "INSERT INTO event_lines (tenant_id, item_no, event_id, source) VALUES ('t1', '1', $1::int8, 'ipn')", [.init(otherID)]
        )

        func record(_ id: Int64, _ notification: ClickBankNotification) -> Task<RecordedNotification, any Error> {
            Task { try await store.recordVerified(deliveryID: id, tenant: "t1", account: Self.account, notification: notification, keyVersion: 1) }
        }
        let firstRecording = record(first, blocker)
        #expect(try await waitingRecording(blockedBy: holderPID) != nil)
        let plainRecording = record(plainID, plain)
        let racingRecording = record(racingID, vector.notification)
        try await Task.sleep(for: .milliseconds(300))  // both queue behind the waiting batch
        try holder.execute("COMMIT")
        _ = try await firstRecording.value
        // The batch of the two waits for the other instance's event; once it commits, the plain
        // recording is committed and the racing one is written again, and waits for the line.
        #expect(try await waitingRecording(blockedBy: inserterPID) != nil)
        try inserter.execute("COMMIT")
        let secondAttempt = try #require(try await waitingRecording(blockedBy: linerPID))
        try probe.execute("SELECT pg_terminate_backend($1::int4)", [.init(secondAttempt)])
        try liner.execute("ROLLBACK")

        let plainResult = try await plainRecording.value
        #expect(!plainResult.duplicate && plainResult.eventID != nil && plainResult.linesInserted == 1)
        await #expect(throws: IngestStoreError.self) { _ = try await racingRecording.value }
        #expect(try await store.deliveryState(tenant: "t1", deliveryID: plainID)?.status == "verified")
        // The racing one is kept for the caller's retry or the recovery sweep.
        #expect(try await store.deliveryState(tenant: "t1", deliveryID: racingID)?.status == "received")
        let endpoint = try #require(try await store.endpointState(tenant: "t1", account: Self.account))
        #expect(endpoint.accepted == 2 && endpoint.rejected == 0)
        await store.shutdown()
    }

    @Test func anEventAnotherTransactionIsInsertingIsWaitedForAndFound() async throws {
        let schema = try TestSchema()
        defer { schema.drop() }
        let store = try await schema.makeStore()
        let vector = try NotificationVectors.load("v7_sale_vendor")
        let id = try await store.recordDelivery(
            tenant: "t1", account: Self.account, receivedAtMs: Self.nowMs(), contentType: vector.contentType, body: vector.body
        )
        // Another instance is inserting the same event and hasn't committed yet.
        let other = try PGConnection(conninfo: schema.conninfo)
        defer { other.close() }
        try other.execute("BEGIN")
        let otherID = try Self.insertSaleEvent(other, source: "ipn")
        let recording = Task {
            try await store.recordVerified(
                deliveryID: id, tenant: "t1", account: Self.account, notification: vector.notification, keyVersion: 1
            )
        }
        // The recording waits on the other insert (the unique index decides); once that commits, the
        // recording finds the event, although its statement started before the event was visible.
        try await Task.sleep(for: .milliseconds(300))
        try other.execute("COMMIT")
        let recorded = try await recording.value
        #expect(recorded.duplicate && recorded.eventID == otherID)
        let state = try #require(try await store.deliveryState(tenant: "t1", deliveryID: id))
        #expect(state.status == "verified" && state.eventID == otherID && state.duplicate == true)
        #expect(try await store.eventCount(tenant: "t1", account: Self.account) == 1)
        // Its lines were added to that event: the other insert had none.
        let lines = try await store.eventLines(tenant: "t1", account: Self.account, receipt: "SYNTH001")
        #expect(lines.map(\.eventID) == [otherID] && recorded.linesInserted == 1)
        await store.shutdown()
    }

    @Test("a recording held up by another writer's lock doesn't hold up storing bodies: it is written again apart")
    func deliveryJobNeverWaitsOnAnotherWritersLock() async throws {
        let schema = try TestSchema()
        defer { schema.drop() }
        let store = try await Self.storeWithEndpoint(schema)
        let vector = try NotificationVectors.load("v7_sale_vendor")
        // Another writer (a CSV import, another instance) is inserting the event and hasn't committed.
        let other = try PGConnection(conninfo: schema.conninfo)
        defer { other.close() }
        let probe = try PGConnection(conninfo: schema.conninfo)
        defer { probe.close() }
        try other.execute("BEGIN")
        _ = try Self.insertSaleEvent(other, source: "csv")
        let notification = vector.notification
        let held = Task {
            try await store.recordDelivery(
                tokenHash: [7, 7], receivedAtMs: Self.nowMs(), contentType: vector.contentType, body: vector.body,
                verifyingWith: { _ in VerifiedNotification(notification: notification, keyVersion: 1) }
            )
        }
        // Its recording waits for the other writer: first in the delivery job (which gives up after
        // 100 ms), then apart.
        #expect(try await Self.processBlocked(by: try Self.processID(other), probe: probe) != nil)
        try await Task.sleep(for: .milliseconds(400))
        // Meanwhile another body is stored, verified and recorded (within 10 s: a delivery job stuck
        // behind the lock would take until the other writer ends).
        var another = vector.notification
        another.receipt = "ANOTHER1"
        final class Finished: Sendable {
            let flag = Mutex(false)
        }
        let finished = Finished()
        let unaffected = Task { [another] in
            defer { finished.flag.withLock { $0 = true } }
            return try await store.recordDelivery(
                tokenHash: [7, 7], receivedAtMs: Self.nowMs(), contentType: vector.contentType, body: [1, 2],
                verifyingWith: { _ in VerifiedNotification(notification: another, keyVersion: 1) }
            )
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while !finished.flag.withLock({ $0 }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        let doneWhileHeld = finished.flag.withLock { $0 }
        #expect(try await Self.processBlocked(by: try Self.processID(other), probe: probe) != nil, "still waiting")
        // The other writer gives up; the held recording then inserts the event itself.
        try other.execute("ROLLBACK")
        #expect(doneWhileHeld, "storing another body waited for the other writer's lock")
        #expect(try await unaffected.value?.recorded?.duplicate == false)
        let outcome = try #require(try await held.value)
        #expect(outcome.recorded?.duplicate == false)
        let state = try #require(try await store.deliveryState(tenant: "t1", deliveryID: outcome.stored.deliveryID))
        #expect(state.status == "verified" && state.eventID == outcome.recorded?.eventID)
        #expect(try await store.eventCount(tenant: "t1", account: Self.account) == 2)
        #expect(try await store.endpointState(tenant: "t1", account: Self.account).map { [$0.accepted, $0.rejected] } == [2, 0])
        await store.shutdown()
    }
}
