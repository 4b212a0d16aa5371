import ClickBank
import ClickBankCSV
import Foundation
import Testing

/// Files from ../shared/tools/gen_clickbank_csv.py, compared with the counts the generator prints.
@Suite struct GeneratedFileTests {
    @Test(.timeLimit(.minutes(5)))
    func hundredThousandRowsMatchTheGeneratorsCounts() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (bytes, summary) = try TestSupport.generate(rows: 100_000, seed: 7, into: directory)
        #expect(summary.rows == 100_000)
        #expect(summary.bytes == bytes.count)

        // Odd-sized chunks, so records and characters straddle chunk boundaries all over the file.
        let chunks = stride(from: 0, to: bytes.count, by: 65_521).map { $0..<min($0 + 65_521, bytes.count) }
        let outcome = try TestSupport.importFile(bytes, chunks: chunks)
        #expect(outcome.rowsRead == summary.rows)
        #expect(outcome.rowsAccepted == summary.rows)
        #expect(outcome.rowsRejected == 0)
        #expect(outcome.committableOffset == Int64(bytes.count))

        // Duplicates are delivered; the identity finds them: each repeat equals its first occurrence.
        var firstSeen: [CSVTransaction.Identity: CSVTransaction] = [:]
        var repeats = 0
        var types: [String: Int] = [:]
        for transaction in outcome.transactions {
            if let earlier = firstSeen[transaction.identity] {
                repeats += 1
                var same = transaction
                same.line = earlier.line
                #expect(same == earlier)
            } else {
                firstSeen[transaction.identity] = transaction
                types[transaction.transactionType, default: 0] += 1
            }
        }
        #expect(repeats == summary.duplicates)
        #expect(types == summary.types)
        #expect(outcome.transactions.allSatisfy { $0.amount.isNegative == $0.kind.isMoneyOut || $0.amount.units == 0 })
    }

    /// Throughput in a release build: `CBINGEST_CSV_BENCH=1 swift test -c release --filter throughput`.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["CBINGEST_CSV_BENCH"] != nil), .timeLimit(.minutes(10)))
    func throughput() throws {
        let rows = Int(ProcessInfo.processInfo.environment["CBINGEST_CSV_BENCH_ROWS"] ?? "") ?? 1_000_000
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (bytes, summary) = try TestSupport.generate(rows: rows, seed: 11, into: directory)
        let chunkSize = 1 << 16
        let chunks = stride(from: 0, to: bytes.count, by: chunkSize).map { bytes[$0..<min($0 + chunkSize, bytes.count)] }
        let clock = ContinuousClock()
        let megabytes = Double(bytes.count) / 1_000_000

        var records = 0
        let parseTime = clock.measure {
            var parser = CSVRecordParser()
            for chunk in chunks {
                parser.feed(chunk) { _ in records += 1 }
            }
            parser.finish { _ in records += 1 }
        }
        var accepted = 0
        let importTime = try clock.measure {
            var stream = try CSVImportStream()
            for chunk in chunks {
                try stream.feed(chunk) { _ in accepted += 1 }
            }
            try stream.finish { _ in accepted += 1 }
        }
        #expect(records == summary.rows + 1)
        #expect(accepted == summary.rows)
        func seconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        }
        let parse = seconds(parseTime)
        let full = seconds(importTime)
        print(String(
            format: "csv-bench: %d rows, %.1f MB; parse %.3f s = %.0f MB/s, %.0f rows/s; parse+map %.3f s = %.0f MB/s, %.0f rows/s",
            rows, megabytes, parse, megabytes / parse, Double(rows) / parse, full, megabytes / full, Double(rows) / full
        ))
    }
}
