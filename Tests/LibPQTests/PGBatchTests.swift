import LibPQ
import Testing

/// `PGConnection.executeBatch`: one pipeline, one transaction, all or nothing.
@Suite(.requiresPostgreSQL, .timeLimit(.minutes(1)))
struct PGBatchTests {
    @Test func aBatchIsOneTransactionWithResultsInOrder() throws {
        let connection = try TestDatabase.connect()
        let table = TestDatabase.uniqueName("batch")
        try connection.execute("CREATE TABLE \(table) (n int PRIMARY KEY, name text)")
        defer { _ = try? connection.execute("DROP TABLE \(table)") }
        let sql = "INSERT INTO \(table) (n, name) VALUES ($1::int4, $2) RETURNING n, txid_current()"
        let results = try connection.executeBatch(cached: sql, (1...5).map { (n: Int) -> [PGParameter] in [.init(n), .text("row \(n)")] })
        #expect(results.map { $0.int(row: 0, column: 0) } == [1, 2, 3, 4, 5])
        // Every execution ran in the same transaction.
        #expect(Set(results.map { $0[0, 1] }).count == 1)
        #expect(try connection.execute("SELECT count(*) FROM \(table)").int(row: 0, column: 0) == 5)
        #expect(connection.cachedStatementCount >= 1)
    }

    @Test func oneFailingExecutionStoresNothingOfTheBatch() throws {
        let connection = try TestDatabase.connect()
        let table = TestDatabase.uniqueName("batch")
        try connection.execute("CREATE TABLE \(table) (n int PRIMARY KEY)")
        defer { _ = try? connection.execute("DROP TABLE \(table)") }
        let sql = "INSERT INTO \(table) (n) VALUES ($1::int4)"
        // The third repeats the first: a unique violation, and the fourth is skipped.
        let error = #expect(throws: PGError.self) {
            try connection.executeBatch(cached: sql, [[.init(1)], [.init(2)], [.init(1)], [.init(3)]])
        }
        #expect(error?.isUniqueViolation == true)
        #expect(try connection.execute("SELECT count(*) FROM \(table)").int(row: 0, column: 0) == 0)
        // The connection is idle and usable: the next batch commits.
        #expect(!connection.isInTransaction)
        _ = try connection.executeBatch(cached: sql, [[.init(1)], [.init(2)]])
        #expect(try connection.execute("SELECT count(*) FROM \(table)").int(row: 0, column: 0) == 2)
    }

    @Test func aBadParameterFailsTheBatchBeforeAnythingIsSent() throws {
        let connection = try TestDatabase.connect()
        let table = TestDatabase.uniqueName("batch")
        try connection.execute("CREATE TABLE \(table) (name text)")
        defer { _ = try? connection.execute("DROP TABLE \(table)") }
        let sql = "INSERT INTO \(table) (name) VALUES ($1)"
        let error = #expect(throws: PGError.self) {
            try connection.executeBatch(cached: sql, [[.text("fine")], [.text("nul\u{0}inside")]])
        }
        #expect(error?.kind == .invalidParameter)
        #expect(try connection.execute("SELECT count(*) FROM \(table)").int(row: 0, column: 0) == 0)
        _ = try connection.executeBatch(cached: sql, [[.text("a")], [.text("b")]])
        #expect(try connection.execute("SELECT count(*) FROM \(table)").int(row: 0, column: 0) == 2)
    }

    @Test func aBatchInsideATransactionIsRefused() throws {
        let connection = try TestDatabase.connect()
        try connection.transaction { tx in
            let error = #expect(throws: PGError.self) {
                try tx.executeBatch(cached: "SELECT $1::int4", [[.init(1)], [.init(2)]])
            }
            #expect(error?.kind == .misuse)
        }
    }

    @Test func aFailingCommitStoresNothingAndLeavesTheConnectionUsable() throws {
        let connection = try TestDatabase.connect()
        let table = TestDatabase.uniqueName("batch")
        // A deferred unique constraint is checked at the Sync's commit, after every execution succeeded.
        try connection.execute("CREATE TABLE \(table) (n int, UNIQUE (n) DEFERRABLE INITIALLY DEFERRED)")
        defer { _ = try? connection.execute("DROP TABLE \(table)") }
        let sql = "INSERT INTO \(table) (n) VALUES ($1::int4)"
        let error = #expect(throws: PGError.self) {
            try connection.executeBatch(cached: sql, [[.init(1)], [.init(2)], [.init(1)]])
        }
        #expect(error?.isUniqueViolation == true)
        #expect(try connection.execute("SELECT count(*) FROM \(table)").int(row: 0, column: 0) == 0)
        _ = try connection.executeBatch(cached: sql, [[.init(1)], [.init(2)]])
        #expect(try connection.execute("SELECT count(*) FROM \(table)").int(row: 0, column: 0) == 2)
    }

    @Test func aConnectionLostMidBatchIsReportedAsLostAndReset() async throws {
        let connection = try TestDatabase.connect()
        let killer = try TestDatabase.connect()
        let pid = connection.backendPID
        // The first statement sleeps long enough that the backend is still in it when this test's
        // task gets a thread (the runner's few threads are shared with blocking tests); terminated,
        // it ends at once.
        let batch = Task.detached {
            try connection.executeBatch(cached: "SELECT pg_sleep($1::float8)", [[.text("20")], [.text("0")]])
        }
        // Terminate the backend while the batch's first statement sleeps (active: not after it ended).
        var terminated = false
        for _ in 0..<500 where !terminated {
            try await Task.sleep(for: .milliseconds(20))
            let rows = try killer.execute(
                """
                SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                WHERE pid = $1 AND state = 'active' AND query LIKE 'SELECT pg_sleep%'
                """,
                [.init(pid)]
            )
            terminated = rows.rowCount == 1
        }
        #expect(terminated)
        // do/catch, not an async #expect(throws:) (see TestSupport's expectRPCError: a Swift 6.3 crash).
        do {
            _ = try await batch.value
            Issue.record("the batch survived its connection")
        } catch let error as PGError {
            #expect(error.kind == .connectionLost)
        }
        // Reset on the spot: the connection works again, out of pipeline mode.
        #expect(try connection.execute("SELECT 1").int(row: 0, column: 0) == 1)
        #expect(try connection.executeBatch(cached: "SELECT $1::int4", [[.init(1)], [.init(2)]]).count == 2)
    }
}
