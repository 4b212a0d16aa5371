import ClickBankCSV
import Foundation

/// Paths and small helpers shared by the suites.
enum TestSupport {
    /// The repository root, from this file's path (Tests/ClickBankCSVTests/TestSupport.swift).
    static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()

    /// `../shared/vectors/csv/` beside the repository.
    static let vectorDirectory: URL = repoRoot.deletingLastPathComponent()
        .appendingPathComponent("shared/vectors/csv", isDirectory: true)

    static let generator: URL = repoRoot.deletingLastPathComponent()
        .appendingPathComponent("shared/tools/gen_clickbank_csv.py")

    static func vector(_ name: String) throws -> [UInt8] {
        let data = try Data(contentsOf: self.vectorDirectory.appendingPathComponent(name))
        return [UInt8](data)
    }

    /// All records of `bytes` fed in the given chunks, then finished.
    static func records(_ bytes: [UInt8], chunks: [Range<Int>]? = nil, maximumRecordBytes: Int? = nil) -> [CSVRecord] {
        var parser = maximumRecordBytes.map { CSVRecordParser(maximumRecordBytes: $0) } ?? CSVRecordParser()
        var records: [CSVRecord] = []
        for range in chunks ?? [0..<bytes.count] {
            parser.feed(bytes[range]) { records.append($0) }
        }
        parser.finish { records.append($0) }
        return records
    }

    static func records(_ text: String, maximumRecordBytes: Int? = nil) -> [CSVRecord] {
        self.records(Array(text.utf8), maximumRecordBytes: maximumRecordBytes)
    }

    /// Everything an import produced, for comparing runs.
    struct ImportOutcome: Equatable {
        var transactions: [CSVTransaction] = []
        var rowsRead = 0
        var rowsAccepted = 0
        var rowsRejected = 0
        var rejections: [CSVRowRejection] = []
        var rejectionsNotListed = 0
        var committableOffset: Int64 = 0
    }

    static func importFile(
        _ bytes: [UInt8],
        chunks: [Range<Int>]? = nil,
        configuration: CSVImportConfiguration = .init()
    ) throws -> ImportOutcome {
        var stream = try CSVImportStream(configuration: configuration)
        var outcome = ImportOutcome()
        for range in chunks ?? [0..<bytes.count] {
            try stream.feed(bytes[range]) { outcome.transactions.append($0) }
        }
        try stream.finish { outcome.transactions.append($0) }
        outcome.rowsRead = stream.rowsRead
        outcome.rowsAccepted = stream.rowsAccepted
        outcome.rowsRejected = stream.rowsRejected
        outcome.rejections = stream.rejections
        outcome.rejectionsNotListed = stream.rejectionsNotListed
        outcome.committableOffset = stream.committableOffset
        return outcome
    }

    static func importText(_ text: String, configuration: CSVImportConfiguration = .init()) throws -> ImportOutcome {
        try self.importFile(Array(text.utf8), configuration: configuration)
    }

    /// Runs gen_clickbank_csv.py and returns the file's bytes and the counts it printed.
    static func generate(rows: Int, seed: Int, into directory: URL) throws -> (bytes: [UInt8], summary: GeneratorSummary) {
        let output = directory.appendingPathComponent("gen-\(rows)-\(seed).csv")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", self.generator.path, String(rows), output.path, "--seed", String(seed)]
        let stderr = Pipe()
        process.standardError = stderr
        try process.run()
        let errorData = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw GeneratorFailure(message: String(decoding: errorData, as: UTF8.self))
        }
        let summary = try GeneratorSummary(String(decoding: errorData, as: UTF8.self))
        return ([UInt8](try Data(contentsOf: output)), summary)
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cbcsv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    struct GeneratorFailure: Error {
        var message: String
    }

    /// `gen_csv: rows=N duplicates=N distinct=N bytes=N bytes_per_row=F types={'BILL': N, ...} seed=N`.
    struct GeneratorSummary {
        var rows = 0
        var duplicates = 0
        var bytes = 0
        var types: [String: Int] = [:]

        init(_ line: String) throws {
            func number(_ key: String) throws -> Int {
                guard let range = line.range(of: "\(key)="),
                      let value = Int(line[range.upperBound...].prefix(while: \.isNumber))
                else { throw GeneratorFailure(message: "no \(key) in \(line)") }
                return value
            }
            self.rows = try number("rows")
            self.duplicates = try number("duplicates")
            self.bytes = try number("bytes")
            guard let open = line.range(of: "types={"), let close = line.range(of: "}", range: open.upperBound..<line.endIndex)
            else { throw GeneratorFailure(message: "no types in \(line)") }
            for entry in line[open.upperBound..<close.lowerBound].split(separator: ",") {
                let parts = entry.split(separator: ":")
                guard parts.count == 2, let count = Int(parts[1].trimmingCharacters(in: .whitespaces)) else { continue }
                let name = parts[0].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "'"))
                self.types[name] = count
            }
        }
    }
}
