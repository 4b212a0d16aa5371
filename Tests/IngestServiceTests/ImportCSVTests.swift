import Foundation
import IngestClient
import IngestService
import LibPQ
import Synchronization
import TestSupport
import Testing

/// ImportCSV end to end: the real server and PostgreSQL, the Swift client's streaming path and
/// unary chunks as a stock client sends them.
@Suite(.requiresDatabase, .timeLimit(.minutes(5)))
struct ImportCSVTests {
    static let vendorFile = "transactions_vendor_2024-03.csv"
    static let affiliateFile = "transactions_affiliate_2024-03.csv"
    static let edgeFile = "transactions_edgecases.csv"

    struct Expected: Sendable, CustomTestStringConvertible {
        var file: String
        var account: String
        var rows: UInt64
        var inserted: UInt64
        var duplicates: UInt64
        var events: Int
        var testDescription: String { self.file }
    }

    /// Counts from SampleVectorTests (rows) and by hand (events: lines of one order share one).
    static let samples: [Expected] = [
        Expected(file: vendorFile, account: "synthvend", rows: 12, inserted: 12, duplicates: 0, events: 10),
        Expected(file: affiliateFile, account: "superaff1", rows: 6, inserted: 6, duplicates: 0, events: 6),
        Expected(file: edgeFile, account: "synthvend", rows: 4, inserted: 3, duplicates: 1, events: 3),
    ]

    @Test(arguments: Self.samples)
    func sampleFile(_ expected: Expected) async throws {
        try await withService { service in
            let tenant = ServiceTestDatabase.uniqueTenant()
            let bytes = try ImportSupport.vector(expected.file)
            let progress = Mutex<[ImportCSVResponse]>([])
            let summary = try await service.client.importCSV(
                tenantID: tenant, account: expected.account, files: [.bytes(bytes, name: expected.file)]
            ) { update in progress.withLock { $0.append(update.reply) } }
            #expect(summary.final)
            #expect(summary.rowsRead == expected.rows)
            #expect(summary.inserted == expected.inserted)
            #expect(summary.duplicatesInImport == expected.duplicates)
            #expect(summary.alreadyPresent == 0 && summary.alreadyFromWebhook == 0 && summary.rejected == 0)
            #expect(summary.files.count == 1 && summary.files[0].complete)
            #expect(summary.files[0].committedOffset == UInt64(bytes.count))
            #expect(progress.withLock { $0.last?.committedOffset } == UInt64(bytes.count), "progress while it runs")
            let stored = try ImportSupport.stored(tenant: tenant)
            #expect(stored.lines == Int(expected.inserted))
            #expect(stored.events == expected.events)

            // Imported again under a new upload: every row is already there, nothing changes.
            let again = try await service.client.importCSV(
                tenantID: tenant, account: expected.account, files: [.bytes(bytes, name: expected.file)]
            )
            #expect(again.rowsRead == expected.rows)
            #expect(again.inserted == 0)
            #expect(again.alreadyPresent == expected.inserted)
            #expect(again.duplicatesInImport == expected.duplicates)
            #expect(try ImportSupport.stored(tenant: tenant) == stored)
        }
    }

    @Test func storedValuesOfTheVendorExport() async throws {
        try await withService { service in
            let tenant = ServiceTestDatabase.uniqueTenant()
            _ = try await service.client.importCSV(
                tenantID: tenant, account: "synthvend",
                files: [.bytes(try ImportSupport.vector(Self.vendorFile), name: Self.vendorFile)]
            )
            let connection = try ServiceTestDatabase.connect()
            let event = try connection.execute(
                """
                SELECT kind, total_account_amount::text, total_order_amount::text, source, transaction_time_ms,
                    customer_city, utc_offset_minutes, customer_email, customer_first_name, tracking_code,
                    document IS NULL
                FROM events WHERE tenant_id = $1 AND receipt = 'SYNTH002' AND transaction_type = 'CGBK'
                """,
                [.text(tenant)]
            )
            #expect(event.rowCount == 1)
            #expect(event[0, 0] == "chargeback")
            #expect(event[0, 1] == "-52.10", "the chargeback's two lines, negative")
            #expect(event[0, 2] == "-74.00")
            #expect(event[0, 3] == "csv")
            #expect(event[0, 5] == "LAS VEGAS")
            #expect(event[0, 7] == "alex.sample@example.com" && event[0, 8] == "Alex" && event[0, 10] == "t")
            let tracked = try connection.execute(
                "SELECT tracking_code FROM events WHERE tenant_id = $1 AND receipt = 'SYNTH001' AND transaction_type = 'SALE'",
                [.text(tenant)]
            )
            #expect(tracked.rowCount == 1 && tracked[0, 0] == "fb_ad12")
            let lines = try connection.execute(
                """
                SELECT l.item_no, l.account_amount::text, l.source, l.csv_upload IS NOT NULL FROM event_lines l
                JOIN events e ON e.tenant_id = l.tenant_id AND e.id = l.event_id
                WHERE l.tenant_id = $1 AND e.receipt = 'SYNTH002' AND e.transaction_type = 'SALE' ORDER BY l.item_no
                """,
                [.text(tenant)]
            )
            #expect(lines.rowCount == 2)
            #expect(lines[0, 0] == "1" && lines[0, 1] == "31.96" && lines[0, 2] == "csv" && lines[0, 3] == "t")
            #expect(lines[1, 0] == "bump1" && lines[1, 1] == "20.14")
        }
    }

    @Test func twoChunksSplitAtEveryOffsetGiveTheSameResult() async throws {
        try await withService { service in
            let bytes = try ImportSupport.vector(Self.edgeFile)
            let wholeTenant = ServiceTestDatabase.uniqueTenant()
            _ = try await service.client.importCSV(
                tenantID: wholeTenant, account: "synthvend", files: [.bytes(bytes, name: "f.csv")]
            )
            let whole = try ImportSupport.stored(tenant: wholeTenant)
            for split in 0...bytes.count {
                let tenant = ServiceTestDatabase.uniqueTenant()
                let first = ImportSupport.request(
                    tenant: tenant, account: "synthvend", upload: "u1", file: "f.csv", offset: 0, data: bytes[..<split],
                    last: false
                )
                let second = ImportSupport.request(
                    tenant: tenant, account: "synthvend", upload: "u1", file: "f.csv", offset: split,
                    data: bytes[split...], last: true
                )
                let one = try await service.client.importCSVChunk(first)
                #expect(one.committedOffset == UInt64(split))
                let reply = try await service.client.importCSVChunk(second)
                let ok = reply.rowsRead == 4 && reply.inserted == 3 && reply.duplicatesInImport == 1
                    && reply.files.first?.complete == true && reply.committedOffset == UInt64(bytes.count)
                #expect(ok, "split at \(split): \(reply.rowsRead) read, \(reply.inserted) inserted")
                if split % 97 == 0 || split == bytes.count {
                    #expect(try ImportSupport.stored(tenant: tenant) == whole, "split at \(split)")
                }
                if !ok { break }
            }
        }
    }

    @Test func generatedHundredThousandRows() async throws {
        let generated = try await ImportSupport.generate(rows: 100_000, seed: 7)
        #expect(generated.rows == 100_000 && generated.duplicates > 0)
        try await withService { service in
            let tenant = ServiceTestDatabase.uniqueTenant()
            var options = IngestClient.CSVImportOptions()
            options.chunkSize = 262_139  // odd-sized: records and characters straddle chunks everywhere
            let summary = try await service.client.importCSV(
                tenantID: tenant, account: "genacct", files: [.bytes(generated.bytes, name: "gen.csv")], options: options
            )
            #expect(summary.rowsRead == UInt64(generated.rows))
            #expect(summary.duplicatesInImport == UInt64(generated.duplicates))
            #expect(summary.inserted == UInt64(generated.rows - generated.duplicates))
            #expect(summary.rejected == 0 && summary.alreadyPresent == 0)
            #expect(try ImportSupport.stored(tenant: tenant).lines == generated.rows - generated.duplicates)
        }
    }

    @Test func droppedConnectionResumesWithExactlyTheRowsOfAnUninterruptedImport() async throws {
        let generated = try await ImportSupport.generate(rows: 20_000, seed: 3)
        try await withService { service in
            var options = IngestClient.CSVImportOptions()
            options.chunkSize = 64 * 1024
            let reference = ServiceTestDatabase.uniqueTenant()
            let expected = try await service.client.importCSV(
                tenantID: reference, account: "genacct", files: [.bytes(generated.bytes, name: "gen.csv")], options: options
            )

            let relay = try await DroppingRelay(targetPort: service.port)
            let client = IngestClient(configuration: RPCClientConfiguration(host: "127.0.0.1", port: relay.port))
            let tenant = ServiceTestDatabase.uniqueTenant()
            let drops = Mutex(0)
            let summary = try await client.importCSV(
                tenantID: tenant, account: "genacct", files: [.bytes(generated.bytes, name: "gen.csv")], options: options
            ) { progress in
                // Cut the connection twice mid-upload, while chunks are in flight.
                let cut = drops.withLock { count -> Bool in
                    let due = (count == 0 && progress.bytesCommitted > 1_000_000)
                        || (count == 1 && progress.bytesCommitted > 3_000_000)
                    if due { count += 1 }
                    return due
                }
                if cut { relay.dropAll() }
            }
            await client.close()
            await relay.close()
            #expect(drops.withLock { $0 } == 2)
            #expect(summary.rowsRead == expected.rowsRead)
            #expect(summary.inserted == expected.inserted)
            #expect(summary.duplicatesInImport == expected.duplicatesInImport)
            #expect(try ImportSupport.stored(tenant: tenant) == ImportSupport.stored(tenant: reference))
        }
    }

    @Test func unaryChunksRepeatedAndOutOfOrder() async throws {
        try await withService { service in
            let tenant = ServiceTestDatabase.uniqueTenant()
            let bytes = try ImportSupport.vector(Self.vendorFile)
            let cuts = [0, 700, 1500, bytes.count]
            func chunk(_ index: Int) -> ImportCSVRequest {
                ImportSupport.request(
                    tenant: tenant, account: "synthvend", upload: "stock-1", file: Self.vendorFile, offset: cuts[index],
                    data: bytes[cuts[index]..<cuts[index + 1]], last: index == cuts.count - 2
                )
            }
            let first = try await service.client.importCSVChunk(chunk(0))
            #expect(first.committedOffset == 700 && !first.files[0].complete)
            let rowsAfterFirst = first.rowsRead
            #expect(rowsAfterFirst > 0)
            // The same chunk again (a retry): nothing applied, the same progress.
            let repeated = try await service.client.importCSVChunk(chunk(0))
            #expect(repeated.committedOffset == 700 && repeated.rowsRead == rowsAfterFirst)
            // A chunk after a gap: refused with the offset to resend from.
            await expectRPCError(.failedPrecondition, messageContains: "expected offset 700") {
                _ = try await service.client.importCSVChunk(chunk(2))
            }
            // Even at the largest offset the protocol can carry (it once overflowed on the server).
            var far = chunk(1)
            far.offset = UInt64.max
            await expectRPCError(.failedPrecondition, messageContains: "expected offset 700") {
                _ = try await service.client.importCSVChunk(far)
            }
            // Overlapping: starts before the committed offset, only the new bytes are applied.
            var overlapping = chunk(1)
            overlapping.offset = 600
            overlapping.data = Array(bytes[600..<1500])
            let second = try await service.client.importCSVChunk(overlapping)
            #expect(second.committedOffset == 1500)
            // A chunk that ends before the committed offset (a late retry of the first one, or another
            // instance behind this one): nothing applied, the same progress.
            let stale = try await service.client.importCSVChunk(chunk(0))
            #expect(stale.committedOffset == 1500 && stale.rowsRead == second.rowsRead)
            let last = try await service.client.importCSVChunk(chunk(2))
            #expect(last.files[0].complete && last.committedOffset == UInt64(bytes.count))
            #expect(last.rowsRead == 12 && last.inserted == 12)
            // Status only.
            let status = try await service.client.csvUploadStatus(tenantID: tenant, account: "synthvend", uploadID: "stock-1")
            #expect(status.inserted == 12 && status.files.count == 1)
            #expect(try ImportSupport.stored(tenant: tenant).lines == 12)
        }
    }

    @Test func rowsFromWebhooksAreConfirmedNotDuplicated() async throws {
        try await withService { service in
            let (tenant, token) = try await VerifyIPNTests.endpoint(
                service, account: "synthvend", secret: try IPNVector.named("v7_sale_vendor").secretKey
            )
            for name in ["v7_sale_vendor", "v7_sale_cart_bump"] {
                let response = try await VerifyIPNTests.verify(service, token: token, try IPNVector.named(name))
                #expect(response.verified)
            }
            let summary = try await service.client.importCSV(
                tenantID: tenant, account: "synthvend",
                files: [.bytes(try ImportSupport.vector(Self.vendorFile), name: Self.vendorFile)]
            )
            #expect(summary.rowsRead == 12)
            #expect(summary.alreadyFromWebhook == 3, "SYNTH001 and both lines of SYNTH002")
            #expect(summary.inserted == 9)
            let connection = try ServiceTestDatabase.connect()
            let events = try connection.execute(
                """
                SELECT receipt, source, csv_confirmed_at IS NOT NULL, version FROM events
                WHERE tenant_id = $1 AND transaction_type = 'SALE' AND receipt IN ('SYNTH001', 'SYNTH002') ORDER BY receipt
                """,
                [.text(tenant)]
            )
            #expect(events.rowCount == 2)
            for row in 0..<2 {
                #expect(events[row, 1] == "ipn" && events[row, 2] == "t" && events[row, 3] == "7.0", "kept the webhook's data")
            }
            let lines = try connection.execute(
                """
                SELECT count(*) FILTER (WHERE l.source = 'ipn' AND l.csv_confirmed_at IS NOT NULL), count(*)
                FROM event_lines l JOIN events e ON e.tenant_id = l.tenant_id AND e.id = l.event_id
                WHERE l.tenant_id = $1 AND e.transaction_type = 'SALE' AND e.receipt IN ('SYNTH001', 'SYNTH002')
                """,
                [.text(tenant)]
            )
            #expect(lines[0, 0] == "3" && lines[0, 1] == "3")
        }
    }

    @Test func missingRequiredColumnsAreOneErrorBeforeAnyRow() async throws {
        try await withService { service in
            let tenant = ServiceTestDatabase.uniqueTenant()
            let text = "Transaction Date,Transaction Time,Role On Transaction,Item,Account Amount\n2024-03-05,14:03:27,Vendor,1,31.96\n"
            await expectRPCError(.invalidArgument, messageContains: "Receipt") {
                _ = try await service.client.importCSV(
                    tenantID: tenant, account: "synthvend", files: [.bytes(Array(text.utf8), name: "bad.csv")]
                )
            }
            await expectRPCError(.invalidArgument, messageContains: "Transaction Type") {
                _ = try await service.client.importCSV(
                    tenantID: tenant, account: "synthvend", files: [.bytes(Array(text.utf8), name: "bad.csv")]
                )
            }
            let connection = try ServiceTestDatabase.connect()
            for table in ["events", "event_lines", "csv_uploads", "csv_upload_files"] {
                let rows = try connection.execute("SELECT count(*) FROM \(table) WHERE tenant_id = $1", [.text(tenant)])
                #expect(rows[0, 0] == "0", "\(table)")
            }
        }
    }

    @Test func badRowsAreRejectedWithLineAndReasonAndTheRestImports() async throws {
        try await withService { service in
            let tenant = ServiceTestDatabase.uniqueTenant()
            var lines = String(decoding: try ImportSupport.vector(Self.vendorFile), as: UTF8.self)
                .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            lines[2] = lines[2].replacingOccurrences(of: "2024-03-05", with: "2024-13-45")  // line 3: bad date
            lines[5] = lines[5].replacingOccurrences(of: ",1.00,0.53,", with: ",1.00,abc,")  // line 6: bad amount
            lines[7] = "2024-03-06,1,2,3"  // line 8: wrong field count
            let summary = try await service.client.importCSV(
                tenantID: tenant, account: "synthvend", files: [.bytes(Array(lines.joined(separator: "\n").utf8), name: "bad.csv")]
            )
            #expect(summary.rowsRead == 12)
            #expect(summary.rejected == 3)
            #expect(summary.inserted == 9)
            #expect(summary.rejections.map(\.line) == [3, 6, 8])
            #expect(summary.rejections.allSatisfy { $0.fileName == "bad.csv" && !$0.reason.isEmpty })
            #expect(summary.rejectionsNotListed == 0)
            #expect(try ImportSupport.stored(tenant: tenant).lines == 9)
        }
    }

    @Test func aLineThatWouldOverflowItsOrdersTotalsIsRejected() async throws {
        try await withService { service in
            let tenant = ServiceTestDatabase.uniqueTenant()
            let header = String(
                decoding: try ImportSupport.vector(Self.vendorFile), as: UTF8.self
            ).split(separator: "\n")[0]
            // Two lines of one order whose account amounts (9e16 each) fit exactly but whose sum doesn't.
            let row = "2024-03-05,14:03:27,BIG001,SALE,Vendor,synthvend,,ITEM,Guide,ORIGINAL,VISA,USD,1.00,"
                + "90000000000000000.00,0.00,0.00,,,,,,,US,,"
            let text = [String(header), row.replacingOccurrences(of: "ITEM", with: "1"),
                row.replacingOccurrences(of: "ITEM", with: "2"), ""].joined(separator: "\n")
            let summary = try await service.client.importCSV(
                tenantID: tenant, account: "synthvend", files: [.bytes(Array(text.utf8), name: "big.csv")]
            )
            #expect(summary.rowsRead == 2 && summary.inserted == 1 && summary.rejected == 1)
            #expect(summary.rejections.map(\.line) == [3])
            #expect(summary.rejections.first?.reason.contains("too large") == true)
            let stored = try ImportSupport.stored(tenant: tenant)
            #expect(stored.lines == 1)
            let connection = try ServiceTestDatabase.connect()
            defer { connection.close() }
            let total = try connection.execute(
                "SELECT total_account_amount::text FROM events WHERE tenant_id = $1", [.text(tenant)]
            )
            #expect(total.rowCount == 1 && total[0, 0] == "90000000000000000.00")
        }
    }

    @Test func uploadIdCannotChangeAccount() async throws {
        try await withService { service in
            let tenant = ServiceTestDatabase.uniqueTenant()
            let bytes = try ImportSupport.vector(Self.edgeFile)
            var options = IngestClient.CSVImportOptions()
            options.uploadID = "fixed-upload"
            _ = try await service.client.importCSV(
                tenantID: tenant, account: "synthvend", files: [.bytes(bytes, name: "a.csv")], options: options
            )
            await expectRPCError(.failedPrecondition, messageContains: "another account") {
                _ = try await service.client.importCSV(
                    tenantID: tenant, account: "otheracct", files: [.bytes(bytes, name: "a.csv")], options: options
                )
            }
        }
    }
}
