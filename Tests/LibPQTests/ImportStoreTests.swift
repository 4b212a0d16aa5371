import ClickBank
import IngestStore
import LibPQ
import Synchronization
import Testing

/// `IngestStore.applyCSVChunk` with a stand-in parser: each line of a chunk is one receipt (one sale
/// of one line item). The service's real parser is covered by IngestServiceTests; these tests are
/// about what the store promises whatever parses: a chunk parsed ahead is used only from the cursor
/// it was parsed from, and two instances applying the same chunk store it once.
@Suite(.requiresPostgreSQL, .timeLimit(.minutes(1)))
struct ImportStoreTests {
    static let account = "genacct"

    /// Parses whole lines from the cursor on; the rest stays as the tail.
    static func parse(_ cursor: CSVFileCursor, _ bytes: ArraySlice<UInt8>, _ endsFile: Bool) -> CSVStagedChunk {
        let all = cursor.tail + Array(bytes)
        var next = CSVFileCursor(
            receivedOffset: cursor.receivedOffset + Int64(bytes.count), tail: [], header: ["receipt"], line: cursor.line
        )
        var staged = CSVStagedChunk(next: next)
        var start = 0
        for (index, byte) in all.enumerated() where byte == UInt8(ascii: "\n") {
            let receipt = String(decoding: all[start..<index], as: UTF8.self)
            staged.rows.append(Self.row(receipt: receipt, line: next.line))
            staged.rowsRead += 1
            next.line += 1
            start = index + 1
        }
        next.tail = Array(all[start...])
        staged.next = next
        staged.complete = endsFile
        return staged
    }

    static func row(receipt: String, line: Int) -> CSVStageRow {
        let timeMs: Int64 = 1_709_676_207_000
        var row = CSVStageRow(
            line: line,
            eventKey: EventKeys.eventBytes(
                account: Self.account, role: "VENDOR", receipt: receipt, transactionType: "SALE",
                instantMilliseconds: timeMs
            ),
            role: "VENDOR", receipt: receipt, transactionType: "SALE", timeMs: timeMs, itemNo: "1", kind: "sale",
            vendor: "synthvend", affiliate: nil, utcOffsetMinutes: -480, currency: "USD", paymentMethod: "VISA",
            upsellOriginalReceipt: nil, productTitle: "Guide", lineItemType: "ORIGINAL",
            amount: ExactDecimal(units: 3196, scale: 2), orderAmount: nil, taxAmount: nil, shippingAmount: nil,
            extraJSON: nil
        )
        row.eventFirst = true
        row.eventAccountTotal = row.amount
        return row
    }

    static func receipts(_ schema: TestSchema, tenant: String) throws -> [String] {
        let connection = try PGConnection(conninfo: schema.conninfo)
        defer { connection.close() }
        let rows = try connection.execute(
            """
            SELECT e.receipt FROM event_lines l JOIN events e ON e.tenant_id = l.tenant_id AND e.id = l.event_id
            WHERE l.tenant_id = $1 ORDER BY e.receipt
            """,
            [.text(tenant)]
        )
        return (0..<rows.rowCount).compactMap { rows[$0, 0] }
    }

    static func apply(
        _ store: IngestStore, offset: Int64, _ text: String, last: Bool = false, prestaged: CSVPrestagedChunk? = nil,
        parses: ParseCounter? = nil
    ) async throws -> CSVChunkResult {
        try await store.applyCSVChunk(
            tenant: "t1", uploadID: "up1", account: Self.account, timeZone: "America/Los_Angeles", fileName: "a.csv",
            offset: offset, data: Array(text.utf8), lastChunk: last, prestaged: prestaged
        ) { cursor, bytes, endsFile in
            parses?.count.withLock { $0 += 1 }
            return Self.parse(cursor, bytes, endsFile)
        }
    }

    @Test("a chunk parsed ahead is used only if the stored cursor is the one it was parsed from")
    func prestagedChunkNeedsTheStoredCursor() async throws {
        let schema = try TestSchema()
        defer { schema.drop() }
        let store = try await schema.makeStore()
        let parses = ParseCounter()

        // Parsed ahead from the cursor of a new file: used as is.
        let fresh = CSVFileCursor(receivedOffset: 0, tail: [], header: nil, line: 1)
        let first = Array("A\nB\nC".utf8)
        let ahead = CSVPrestagedChunk(cursor: fresh, endsFile: false, staged: Self.parse(fresh, first[...], false))
        let one = try await Self.apply(store, offset: 0, "A\nB\nC", prestaged: ahead, parses: parses)
        #expect(parses.count.withLock { $0 } == 0)
        #expect(one.disposition == .applied && one.progress.inserted == 2)
        #expect(one.next == ahead.staged.next && one.next?.tail == Array("C".utf8) && one.next?.line == 3)

        // Parsed ahead from a cursor the file doesn't have (it lost the tail "C"): parsed again from
        // the stored one, and nothing of the wrong parse is stored.
        let wrong = CSVFileCursor(receivedOffset: 5, tail: [], header: ["receipt"], line: 3)
        var wrongParse = Self.parse(wrong, Array("D\n".utf8)[...], true)
        wrongParse.rows.append(Self.row(receipt: "WRONG", line: 99))
        let stale = CSVPrestagedChunk(cursor: wrong, endsFile: true, staged: wrongParse)
        let two = try await Self.apply(store, offset: 5, "D\n", last: true, prestaged: stale, parses: parses)
        #expect(parses.count.withLock { $0 } == 1)
        #expect(two.disposition == .applied && two.progress.inserted == 3 && two.progress.complete)
        #expect(try Self.receipts(schema, tenant: "t1") == ["A", "B", "CD"])

        // A prestaged chunk doesn't make a resent one apply twice.
        let again = try await Self.apply(store, offset: 5, "D\n", last: true, prestaged: stale, parses: parses)
        #expect(again.disposition == .alreadyApplied && again.progress.inserted == 3)
        #expect(try Self.receipts(schema, tenant: "t1") == ["A", "B", "CD"])
    }

    @Test("staged rows reach PostgreSQL exactly: amounts of any scale and sign, text with control characters, NULLs")
    func binaryStageRoundTrips() throws {
        let schema = try TestSchema()
        defer { schema.drop() }
        let connection = try PGConnection(conninfo: schema.conninfo)
        defer { connection.close() }
        let amounts: [ExactDecimal] = [
            ExactDecimal(units: 0, scale: 0), ExactDecimal(units: 5, scale: 1), ExactDecimal(units: -1, scale: 2),
            ExactDecimal(units: 4700, scale: 2), ExactDecimal(units: 1_234_567_891, scale: 3),
            ExactDecimal(units: 10_000, scale: 0), ExactDecimal(units: 9_999_999_999, scale: 2),
            ExactDecimal(units: -123_456_789_012_345_678, scale: 18), ExactDecimal(units: Int64.max, scale: 0),
            ExactDecimal(units: 100_000_000, scale: 4),
        ]
        var buffer = CSVStageBuffer()
        for (index, amount) in amounts.enumerated() {
            var row = Self.row(receipt: "R\(index)", line: index)
            row.amount = amount
            row.productTitle = index == 0 ? "tab\there, \"quote\", back\\slash,\nnewline, Björk ✓" : nil
            row.taxAmount = index == 1 ? amount : nil
            row.customerEmail = index == 2 ? "ana@example.es" : nil
            row.customerCountry = index == 2 ? "ES" : nil
            buffer.append(row)
        }
        try connection.transaction { tx in
            try tx.execute(
                """
                CREATE TEMP TABLE lines_check (
                    line int8, ekey uuid, item_no text, product_title text, line_item_type text, amount numeric,
                    order_amount numeric, tax numeric, shipping numeric, extra text
                ) ON COMMIT DROP
                """
            )
            try tx.execute(
                """
                CREATE TEMP TABLE events_check (
                    ekey uuid, role text, receipt text, ttype text, tms int8, kind text, vendor text, affiliate text,
                    utc_offset int4, currency text, payment_method text, upsell text, ev_account numeric,
                    ev_order numeric, ev_tax numeric, ev_shipping numeric, tracking_code text, first_name text,
                    last_name text, full_name text, email text, city text, state text, postal_code text, country text
                ) ON COMMIT DROP
                """
            )
            try tx.copyIn("COPY lines_check FROM STDIN (FORMAT binary)") { writer in
                try writer.write(raw: buffer.lineBytes + CSVStageBuffer.trailer)
            }
            try tx.copyIn("COPY events_check FROM STDIN (FORMAT binary)") { writer in
                try writer.write(raw: buffer.eventBytes + CSVStageBuffer.trailer)
            }
            #expect(buffer.count == amounts.count && buffer.eventCount == amounts.count)
            let rows = try tx.execute(
                """
                SELECT l.amount::text, l.product_title, l.tax::text, l.ekey::text, e.tms, e.utc_offset,
                    e.ekey IS NOT NULL, e.email, e.country, e.city
                FROM lines_check l LEFT JOIN events_check e ON e.ekey = l.ekey ORDER BY l.line
                """
            )
            #expect(rows.rowCount == amounts.count)
            for (index, amount) in amounts.enumerated() {
                #expect(rows[index, 0] == amount.description, "amount \(index)")
            }
            #expect(rows[0, 1] == "tab\there, \"quote\", back\\slash,\nnewline, Björk ✓")
            #expect(rows[1, 1] == nil && rows[1, 2] == "0.50" && rows[0, 2] == nil)
            #expect(
                rows[3, 3]
                    == EventKeys.event(
                        account: Self.account, role: "VENDOR", receipt: "R3", transactionType: "SALE",
                        instantMilliseconds: 1_709_676_207_000
                    )
            )
            #expect(rows.int64(row: 3, column: 4) == 1_709_676_207_000 && rows[3, 5] == "-480" && rows[3, 6] == "t")
            #expect(rows[2, 7] == "ana@example.es" && rows[2, 8] == "ES" && rows[2, 9] == nil && rows[3, 7] == nil)
        }
    }

    @Test("two instances applying the same chunks at once store each row once")
    func concurrentInstancesApplyAChunkOnce() async throws {
        let schema = try TestSchema()
        defer { schema.drop() }
        let first = try await schema.makeStore()
        let second = try await schema.makeStore()
        let chunks = ["R1\nR2\n", "R3\nR4\n", "R5\n"]
        let results = try await withThrowingTaskGroup(of: [CSVChunkResult.Disposition].self) { group in
            for store in [first, second] {
                group.addTask {
                    var offset: Int64 = 0
                    var dispositions: [CSVChunkResult.Disposition] = []
                    for (index, chunk) in chunks.enumerated() {
                        let result = try await Self.apply(store, offset: offset, chunk, last: index == chunks.count - 1)
                        dispositions.append(result.disposition)
                        offset += Int64(chunk.utf8.count)
                    }
                    return dispositions
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        // Each chunk was applied by exactly one of them; the other found it applied.
        for index in chunks.indices {
            #expect(results.filter { $0[index] == .applied }.count == 1)
        }
        #expect(try Self.receipts(schema, tenant: "t1") == ["R1", "R2", "R3", "R4", "R5"])
        let status = try #require(try await first.csvUploadStatus(tenant: "t1", uploadID: "up1"))
        #expect(status.files.map(\.inserted) == [5] && status.files.map(\.rowsRead) == [5])
        #expect(status.files.map(\.complete) == [true])
    }
}

extension ImportStoreTests {
    @Test("an event another transaction commits while a chunk is merged is counted once, as already present")
    func eventCommittedDuringTheMergeIsNotStoredTwice() async throws {
        let schema = try TestSchema()
        defer { schema.drop() }
        let store = try await schema.makeStore()
        // Another writer (a webhook notification, say) holds R2's event and line, not yet committed.
        let other = try PGConnection(conninfo: schema.conninfo)
        defer { other.close() }
        let key = EventKeys.event(
            account: Self.account, role: "VENDOR", receipt: "R2", transactionType: "SALE",
            instantMilliseconds: 1_709_676_207_000
        )
        try other.execute("BEGIN")
        try other.execute(
            """
            WITH e AS (
                INSERT INTO events (tenant_id, key, account, role, receipt, transaction_type, transaction_time_ms, kind, source)
                VALUES ('t1', $1::uuid, $2, 'VENDOR', 'R2', 'SALE', 1709676207000, 'sale', 'ipn') RETURNING id
            )
            INSERT INTO event_lines (tenant_id, item_no, event_id, source) SELECT 't1', '1', id, 'ipn' FROM e
            """,
            [.text(key), .text(Self.account)]
        )
        let otherPID = try #require(try other.execute("SELECT pg_backend_pid()").int(row: 0, column: 0))
        let applying = Task { try await Self.apply(store, offset: 0, "R1\nR2\nR3\n", last: true) }
        // The chunk's merge inserts R2's event plainly and so waits for the other transaction (other
        // tests run in parallel: only a merge blocked by this one counts).
        let watcher = try PGConnection(conninfo: schema.conninfo)
        defer { watcher.close() }
        var waited = false
        for _ in 0..<200 where !waited {
            let rows = try watcher.execute(
                """
                SELECT count(*) FROM pg_stat_activity
                WHERE $1::int4 = ANY (pg_blocking_pids(pid)) AND query LIKE 'WITH new_events%'
                """,
                [.init(otherPID)]
            )
            waited = rows.int(row: 0, column: 0) == 1
            if !waited { try await Task.sleep(for: .milliseconds(25)) }
        }
        #expect(waited, "the merge never waited for the other transaction's event")
        try other.execute("COMMIT")

        let result = try await applying.value
        #expect(result.disposition == .applied)
        #expect(result.progress.inserted == 2 && result.progress.alreadyFromWebhook == 1)
        #expect(result.progress.alreadyPresent == 0 && result.progress.duplicatesInImport == 0)
        #expect(try Self.receipts(schema, tenant: "t1") == ["R1", "R2", "R3"])
    }
}

/// How many times the store asked the test to parse.
final class ParseCounter: Sendable {
    let count = Mutex(0)
}
