import LibPQ
import Testing

@Suite(.requiresPostgreSQL, .timeLimit(.minutes(1)))
struct PGConnectionTests {
    @Test func parametersRoundTrip() throws {
        let connection = try TestDatabase.connect()
        let bytes: [UInt8] = Array(0...255) + [0, 0]
        let result = try connection.execute(
            """
            SELECT $1::text AS t, $2::int8 AS n, $3::bytea AS b, $4::text AS missing, $5::bool AS flag,
                $6::bytea AS e
            """,
            ["grüße 👋 ✓", .init(Int64.max), .bytes(bytes), nil, true, .bytes([])]
        )
        #expect(result.rowCount == 1)
        #expect(result.columns == ["t", "n", "b", "missing", "flag", "e"])
        #expect(result[0, 0] == "grüße 👋 ✓")
        #expect(result.int64(row: 0, column: 1) == Int64.max)
        #expect(result.bytes(row: 0, column: 2) == bytes)
        #expect(result[0, 3] == nil)
        #expect(result.bool(row: 0, column: 4) == true)
        #expect(result.bytes(row: 0, column: 5) == [])
    }

    @Test func arrayParametersRoundTripAnyText() throws {
        let connection = try TestDatabase.connect()
        let texts: [String?] = [
            "plain", "", nil, "NULL", "null", #"a "quoted" word"#, #"back\slash\\ and \"#, "{braces},commas",
            "new\nline\ttab", " spaced ", "grüße 👋", #"{"json":["x",1,null]}"#,
        ]
        let rows = try connection.execute(
            "SELECT t, t IS NULL, n FROM unnest($1::text[]) WITH ORDINALITY AS x(t, n) ORDER BY n", [.array(texts)]
        )
        #expect(rows.rowCount == texts.count)
        for (index, text) in texts.enumerated() {
            #expect(rows[index, 0] == text, "element \(index + 1)")
            #expect(rows.bool(row: index, column: 1) == (text == nil))
        }
        // Other element types take their text form; an empty array is no rows.
        let typed = try connection.execute(
            "SELECT a, b, c FROM unnest($1::int8[], $2::numeric[], $3::bool[]) AS x(a, b, c)",
            [.array([String(Int64.min), nil]), .array(["-0.000001", "12345678901234567890.5"]), .array(["true", nil])]
        )
        #expect(typed.int64(row: 0, column: 0) == Int64.min && typed[1, 0] == nil)
        #expect(typed[0, 1] == "-0.000001" && typed[1, 1] == "12345678901234567890.5")
        #expect(typed.bool(row: 0, column: 2) == true && typed[1, 2] == nil)
        #expect(try connection.execute("SELECT count(*) FROM unnest($1::text[])", [.array([])]).int(row: 0, column: 0) == 0)
        // A NUL can't travel in an element any more than in a text parameter.
        #expect {
            try connection.execute("SELECT $1::text[]", [.array(["ok", "ab\u{0}cd"])])
        } throws: { error in
            (error as? PGError)?.kind == .invalidParameter
        }
    }

    @Test func byteaArraysRoundTripAnyBytes() throws {
        let connection = try TestDatabase.connect()
        let elements: [[UInt8]] = [Array(0...255), [], [0], Array(repeating: 0x5C, count: 70_000), Array("{\"a\",NULL}".utf8)]
        let rows = try connection.execute(
            "SELECT b, octet_length(b), n FROM unnest($1::bytea[]) WITH ORDINALITY AS x(b, n) ORDER BY n", [.byteaArray(elements)]
        )
        #expect(rows.rowCount == elements.count)
        for (index, element) in elements.enumerated() {
            #expect(rows.int(row: index, column: 1) == element.count, "element \(index + 1)")
            #expect(rows.bytes(row: index, column: 0) == element, "element \(index + 1)")
        }
        // Also as a cached (prepared) statement, and empty.
        let empty = try connection.execute(cached: "SELECT count(*) FROM unnest($1::bytea[])", [.byteaArray([])])
        #expect(empty.int(row: 0, column: 0) == 0)
        let two = try connection.execute(cached: "SELECT count(*) FROM unnest($1::bytea[])", [.byteaArray([[1], [2, 3]])])
        #expect(two.int(row: 0, column: 0) == 2)
    }

    @Test func injectionAttemptIsStoredLiterally() throws {
        let connection = try TestDatabase.connect()
        let table = TestDatabase.uniqueName("inj")
        try connection.execute("CREATE TABLE \(table) (name text)")
        defer { _ = try? connection.execute("DROP TABLE \(table)") }
        let attack = "x'); DROP TABLE \(table); --"
        let insert = try connection.execute("INSERT INTO \(table) (name) VALUES ($1)", [.text(attack)])
        #expect(insert.affectedRows == 1)
        let rows = try connection.execute("SELECT name FROM \(table)")
        #expect(rows.rowCount == 1)
        #expect(rows[0, 0] == attack)
    }

    @Test func nulInTextIsRejectedNotTruncated() throws {
        let connection = try TestDatabase.connect()
        #expect {
            try connection.execute("SELECT $1::text", ["ab\u{0}cd"])
        } throws: { error in
            (error as? PGError)?.kind == .invalidParameter
        }
        #expect(try connection.execute("SELECT 1").rowCount == 1)
    }

    @Test func uniqueViolationHasSQLStateAndGenericDescription() throws {
        let connection = try TestDatabase.connect()
        let table = TestDatabase.uniqueName("uniq")
        try connection.execute("CREATE TABLE \(table) (k text PRIMARY KEY)")
        defer { _ = try? connection.execute("DROP TABLE \(table)") }
        try connection.execute("INSERT INTO \(table) VALUES ($1)", ["customer-secret-42"])
        do {
            try connection.execute("INSERT INTO \(table) VALUES ($1)", ["customer-secret-42"])
            Issue.record("expected a unique violation")
        } catch {
            #expect(error.isUniqueViolation)
            #expect(error.sqlState == "23505")
            #expect(error.kind == .queryFailed)
            #expect(!error.isConnectionError)
            #expect(!error.description.contains("customer-secret-42"))
            #expect(!"\(error)".contains("customer-secret-42"))
            #expect(error.debugDescription.contains("customer-secret-42"))
        }
    }

    @Test func invalidInputErrorDoesNotLeakValue() throws {
        let connection = try TestDatabase.connect()
        do {
            try connection.execute("SELECT $1::int8", ["4111-1111-1111-1111"])
            Issue.record("expected invalid input")
        } catch {
            #expect(error.sqlState == "22P02")
            #expect(!String(describing: error).contains("4111"))
            #expect(error.serverMessage?.contains("4111") == true)
        }
    }

    @Test func connectionErrorDoesNotLeakPassword() throws {
        do {
            _ = try PGConnection(
                conninfo: "host=127.0.0.1 port=1 user=nobody password=hunter2-pw dbname=x",
                connectTimeout: .seconds(2)
            )
            Issue.record("expected a connection failure")
        } catch {
            #expect(error.kind == .connectionFailed)
            #expect(error.isConnectionError)
            #expect(!error.description.contains("hunter2"))
            #expect(!error.debugDescription.contains("hunter2"))
        }
        do {
            _ = try PGConnection(conninfo: "host=127.0.0.1 password=hunter2 pw garbage")
            Issue.record("expected a parse failure")
        } catch {
            #expect(!error.debugDescription.contains("hunter2"))
            #expect(!error.debugDescription.contains("garbage"))
        }
    }

    @Test func transactionCommitsAndRollsBack() throws {
        let connection = try TestDatabase.connect()
        let table = TestDatabase.uniqueName("tx")
        try connection.execute("CREATE TABLE \(table) (n int)")
        defer { _ = try? connection.execute("DROP TABLE \(table)") }

        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try connection.transaction { tx in
                try tx.execute("INSERT INTO \(table) VALUES ($1)", [1])
                throw Boom()
            }
        }
        #expect(!connection.isInTransaction)
        let committed = try connection.transaction { tx in
            try tx.execute("INSERT INTO \(table) VALUES ($1)", [2]).affectedRows
        }
        #expect(committed == 1)

        // A failed statement swallowed inside the body must not look like a successful commit.
        #expect {
            try connection.transaction { tx in
                try tx.execute("INSERT INTO \(table) VALUES ($1)", [3])
                _ = try? tx.execute("SELECT $1::int", ["not a number"])
            }
        } throws: { error in
            (error as? PGError)?.kind == .transactionAborted
        }
        let rows = try connection.execute("SELECT n FROM \(table) ORDER BY n")
        #expect(rows.rowCount == 1)
        #expect(rows.int(row: 0, column: 0) == 2)
    }

    @Test func copyInTenThousandRows() throws {
        let connection = try TestDatabase.connect()
        let table = TestDatabase.uniqueName("copy")
        try connection.execute("CREATE TABLE \(table) (n int8, s text, b bytea, z text)")
        defer { _ = try? connection.execute("DROP TABLE \(table)") }
        let count = try connection.copyIn("COPY \(table) (n, s, b, z) FROM STDIN") { writer in
            for n in 0..<10_000 {
                try writer.write(row: [
                    String(n), "row\t\(n)\n\\ü", PGCopyWriter.byteaText([UInt8(n & 0xff), 0]), n % 2 == 0 ? nil : "x",
                ])
            }
        }
        #expect(count == 10_000)
        let check = try connection.execute(
            "SELECT count(*), count(z), sum(n) FROM \(table) WHERE s = 'row' || chr(9) || n || chr(10) || '\\ü'"
        )
        #expect(check.int64(row: 0, column: 0) == 10_000)
        #expect(check.int64(row: 0, column: 1) == 5_000)
        #expect(check.int64(row: 0, column: 2) == 49_995_000)
        let one = try connection.execute("SELECT b FROM \(table) WHERE n = $1", [300])
        #expect(one.bytes(row: 0, column: 0) == [44, 0])
    }

    @Test func copyAbortedByProducerStoresNothing() throws {
        let connection = try TestDatabase.connect()
        let table = TestDatabase.uniqueName("copyabort")
        try connection.execute("CREATE TABLE \(table) (n int8)")
        defer { _ = try? connection.execute("DROP TABLE \(table)") }
        struct Stop: Error {}
        do {
            try connection.copyIn("COPY \(table) FROM STDIN") { writer in
                for n in 0..<100_000 {
                    try writer.write(row: [String(n)])
                }
                throw Stop()
            }
            Issue.record("expected the copy to fail")
        } catch {
            #expect(error.kind == .copyFailed)
            #expect(error.cause is Stop)
        }
        // Bad data: the server's error arrives when the copy ends.
        do {
            try connection.copyIn("COPY \(table) FROM STDIN") { writer in
                try writer.write(row: ["1"])
                try writer.write(row: ["not a number"])
            }
            Issue.record("expected bad data to fail")
        } catch {
            #expect(error.sqlState == "22P02")
        }
        #expect(try connection.execute("SELECT count(*) FROM \(table)").int(row: 0, column: 0) == 0)
        #expect(connection.isHealthy)
    }

    @Test func preparedStatementsAreCached() throws {
        let connection = try TestDatabase.connect()
        let sql = "SELECT $1::int8 + $2::int8"
        for n in 0..<5 {
            let result = try connection.execute(cached: sql, [.init(n), 10])
            #expect(result.int(row: 0, column: 0) == n + 10)
        }
        #expect(connection.cachedStatementCount == 1)
        let prepared = try connection.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement = $1",
            [.text(sql)]
        )
        #expect(prepared.int(row: 0, column: 0) == 1)
        _ = try connection.execute(cached: "SELECT $1::bytea", [.bytes([1, 2, 3])])
        #expect(connection.cachedStatementCount == 2)

        try connection.prepare(name: "explicit_add", sql: "SELECT $1::int + 1")
        #expect(try connection.executePrepared(name: "explicit_add", [41]).int(row: 0, column: 0) == 42)
    }

    @Test func resetReconnectsAndForgetsPreparedStatements() throws {
        let connection = try TestDatabase.connect()
        _ = try connection.execute(cached: "SELECT 1", [])
        let pid = connection.backendPID
        try connection.reset()
        #expect(connection.isHealthy)
        #expect(connection.backendPID != pid)
        #expect(connection.cachedStatementCount == 0)
        #expect(try connection.execute(cached: "SELECT 1", []).int(row: 0, column: 0) == 1)
    }

    @Test func terminatedConnectionReportsConnectionLost() throws {
        let connection = try TestDatabase.connect()
        let killer = try TestDatabase.connect()
        try killer.execute("SELECT pg_terminate_backend($1)", [.init(connection.backendPID)])
        do {
            try connection.execute("SELECT 1")
            Issue.record("expected the terminated connection to fail")
        } catch {
            #expect(error.isConnectionError)
        }
        #expect(!connection.isHealthy)
        try connection.reset()
        #expect(try connection.execute("SELECT 1").int(row: 0, column: 0) == 1)
    }
}
