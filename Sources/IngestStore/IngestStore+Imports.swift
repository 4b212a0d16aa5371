import ClickBank
import LibPQ

extension IngestStore {
    /// Rejections stored per upload; the rest are only counted.
    public static let storedRejectionsPerUpload = 1000

    /// Applies one chunk of a CSV upload in one transaction, so a chunk is either wholly applied or not
    /// at all, and a resent chunk is never applied twice.
    ///
    /// Locks the upload (creating it and the file's row if new), compares `offset` with the bytes
    /// received so far, and then:
    /// - a chunk that ends at or before them (and doesn't newly end the file): nothing is applied;
    ///   returns `.alreadyApplied` with the stored progress;
    /// - a chunk that starts after them: throws `CSVOffsetGap` with the offset to resend from;
    /// - otherwise calls `stage` with the stored cursor and the chunk's new bytes (on the pool's
    ///   thread, inside the transaction: it parses, and throws to refuse the file) unless `prestaged`
    ///   was parsed from that same cursor and covers exactly these bytes, then COPYs the staged
    ///   lines and events into two temporary tables, merges them into `events`/`event_lines` in one
    ///   statement (`ImportSQL.merge`, or `ImportSQL.mergeConcurrent` after a unique violation),
    ///   stores rejections (at most `storedRejectionsPerUpload` per upload) and the new cursor and
    ///   counts, and commits.
    ///
    /// Throws `CSVUploadMismatch` if the upload id was used with another account or time zone.
    public func applyCSVChunk(
        tenant: String,
        uploadID: String,
        account: String,
        timeZone: String,
        fileName: String,
        offset: Int64,
        data: [UInt8],
        lastChunk: Bool,
        prestaged: CSVPrestagedChunk? = nil,
        stage: @escaping @Sendable (CSVFileCursor, ArraySlice<UInt8>, Bool) throws -> CSVStagedChunk
    ) async throws -> CSVChunkResult {
        do {
            return try await self.applyCSVChunkOnce(
                tenant: tenant, uploadID: uploadID, account: account, timeZone: timeZone, fileName: fileName,
                offset: offset, data: data, lastChunk: lastChunk, prestaged: prestaged, stage: stage
            )
        } catch let error as IngestStoreError where (error.underlying as? PGError)?.sqlState == "23502" {
            // A line without its event: another import committed the event after the snapshot of
            // `ImportSQL.mergeConcurrent` (the fallback after a unique violation). Nothing of the
            // chunk is stored; a retry finds the event.
            throw IngestStoreError(
                code: .unavailable, operation: "importing a CSV chunk next to a concurrent import of the same rows",
                underlying: error.underlying
            )
        }
    }

    private func applyCSVChunkOnce(
        tenant: String,
        uploadID: String,
        account: String,
        timeZone: String,
        fileName: String,
        offset: Int64,
        data: [UInt8],
        lastChunk: Bool,
        prestaged: CSVPrestagedChunk?,
        stage: @escaping @Sendable (CSVFileCursor, ArraySlice<UInt8>, Bool) throws -> CSVStagedChunk
    ) async throws -> CSVChunkResult {
        try await self.run("importing a CSV chunk") { connection in
            try connection.transaction { tx in
                let (uploadNumber, progress, cursor) = try Self.lockFile(
                    tx, tenant: tenant, uploadID: uploadID, account: account, timeZone: timeZone, fileName: fileName
                )
                // Checked first: past it, the offset is at most the committed one, so the end can't overflow.
                if offset > progress.receivedOffset {
                    throw CSVOffsetGap(fileName: fileName, expectedOffset: progress.receivedOffset, offset: offset)
                }
                let end = offset + Int64(data.count)
                // A chunk may end before the committed offset (a late retry, or another instance
                // behind this one): then none of it is new.
                let newBytes = data[min(data.count, Int(progress.receivedOffset - offset))...]
                let endsFile = lastChunk && end >= progress.receivedOffset
                if progress.complete || (newBytes.isEmpty && !endsFile) {
                    return CSVChunkResult(disposition: .alreadyApplied, progress: progress)
                }
                let staged: CSVStagedChunk
                if let prestaged, prestaged.cursor == cursor, prestaged.endsFile == endsFile,
                    offset == progress.receivedOffset
                {
                    staged = prestaged.staged
                } else {
                    staged = try stage(cursor, newBytes, endsFile)
                }

                var counts = (inserted: Int64(0), inImport: staged.duplicatesInChunk, webhook: Int64(0))
                if staged.rows.count > 0 {
                    // No JIT: the merge's estimated cost is over jit_above_cost, and compiling it took
                    // ~100 ms a chunk, longer than running it. A generic plan: a custom one trusts the
                    // statistics of this tenant, which a first import outgrows within minutes (a
                    // "one row" tenant made the updates scan all its events, 200 ms a chunk).
                    try tx.execute(ImportSQL.mergeSettings)
                    try tx.execute(ImportSQL.createStageLines)
                    try tx.execute(ImportSQL.createStageEvents)
                    try tx.copyIn(ImportSQL.copyStageLines) { writer in
                        try writer.write(raw: staged.rows.lineBytes)
                        try writer.write(raw: CSVStageBuffer.trailer)
                    }
                    try tx.copyIn(ImportSQL.copyStageEvents) { writer in
                        try writer.write(raw: staged.rows.eventBytes)
                        try writer.write(raw: CSVStageBuffer.trailer)
                    }
                    let merged = try Self.merge(tx, [.text(tenant), .text(account), .init(uploadNumber)])
                    counts.inserted = merged.int64(row: 0, column: 0) ?? 0
                    counts.inImport += merged.int64(row: 0, column: 1) ?? 0
                    counts.webhook = merged.int64(row: 0, column: 2) ?? 0
                }
                let alreadyPresent = Int64(staged.rows.count) - counts.inserted
                    - (counts.inImport - staged.duplicatesInChunk) - counts.webhook
                if !staged.rejections.isEmpty {
                    let json = JSONValue.array(staged.rejections.map { rejection in
                        .object([
                            JSONMember(key: "line", value: .number(String(rejection.line))),
                            JSONMember(key: "reason", value: .string(rejection.reason)),
                        ])
                    }).jsonText
                    try tx.execute(
                        cached: ImportSQL.insertRejections,
                        [.text(tenant), .text(uploadID), .text(fileName), .init(Self.storedRejectionsPerUpload), .text(json)]
                    )
                }
                let header = staged.next.header.map { names in JSONValue.array(names.map { .string($0) }).jsonText }
                let advanced = try tx.execute(
                    cached: ImportSQL.advanceFile,
                    [
                        .text(tenant), .text(uploadID), .text(fileName), .init(progress.receivedOffset),
                        .init(staged.next.receivedOffset), .bytes(staged.next.tail), .init(header),
                        .init(staged.next.line), .init(staged.complete), .init(staged.rowsRead), .init(counts.inserted),
                        .init(counts.inImport), .init(alreadyPresent), .init(counts.webhook),
                        .init(Int64(staged.rejections.count)),
                    ]
                )
                guard advanced.rowCount == 1 else {
                    // Can't happen while the upload row is locked; never commit a chunk twice anyway.
                    throw IngestStoreError(code: .internal, operation: "advancing a CSV upload")
                }
                return CSVChunkResult(
                    disposition: .applied, progress: try Self.fileProgress(advanced, row: 0), previous: progress,
                    next: staged.next
                )
            }
        }
    }

    /// The upload's files and its first `listRejections` rejections; nil for an unknown upload.
    public func csvUploadStatus(tenant: String, uploadID: String, listRejections: Int = 100) async throws -> CSVUploadStatus? {
        try await self.run("reading a CSV upload") { connection in
            let upload = try connection.execute(cached: ImportSQL.upload, [.text(tenant), .text(uploadID)])
            guard upload.rowCount == 1, let account = upload[0, 0], let timeZone = upload[0, 1] else {
                return nil
            }
            let fileRows = try connection.execute(cached: ImportSQL.files, [.text(tenant), .text(uploadID)])
            let files = try (0..<fileRows.rowCount).map { try Self.fileProgress(fileRows, row: $0) }
            let rejected = files.reduce(Int64(0)) { $0 + $1.rejected }
            var rejections: [CSVStoredRejection] = []
            if rejected > 0 && listRejections > 0 {
                let rows = try connection.execute(
                    cached: ImportSQL.rejections, [.text(tenant), .text(uploadID), .init(listRejections)]
                )
                rejections = (0..<rows.rowCount).map { row in
                    CSVStoredRejection(
                        fileName: rows[row, 0] ?? "", line: rows.int64(row: row, column: 1) ?? 0, reason: rows[row, 2] ?? ""
                    )
                }
            }
            return CSVUploadStatus(
                account: account, timeZone: timeZone, files: files, rejections: rejections,
                rejectionsNotListed: max(0, rejected - Int64(rejections.count))
            )
        }
    }

    // MARK: Internals

    /// Runs `ImportSQL.merge`; should a concurrent transaction have committed one of the chunk's events
    /// after its snapshot (a unique violation), rolls back to before it and runs
    /// `ImportSQL.mergeConcurrent`, which takes existing rows as they are.
    private static func merge(_ tx: PGConnection, _ parameters: [PGParameter]) throws -> PGResult {
        try tx.execute(cached: "SAVEPOINT cbingest_merge")
        do {
            return try tx.execute(cached: ImportSQL.merge, parameters)
        } catch where error.isUniqueViolation {
            try tx.execute(cached: "ROLLBACK TO SAVEPOINT cbingest_merge")
            return try tx.execute(cached: ImportSQL.mergeConcurrent, parameters)
        }
    }

    private static func lockFile(
        _ tx: PGConnection, tenant: String, uploadID: String, account: String, timeZone: String, fileName: String
    ) throws -> (uploadNumber: Int64, progress: CSVFileProgress, cursor: CSVFileCursor) {
        let upload = try tx.execute(
            cached: ImportSQL.lockUpload, [.text(tenant), .text(uploadID), .text(account), .text(timeZone)]
        )
        guard upload.rowCount == 1, let storedAccount = upload[0, 0], let storedZone = upload[0, 1],
            let uploadNumber = upload.int64(row: 0, column: 2)
        else {
            throw IngestStoreError(code: .internal, operation: "locking a CSV upload")
        }
        guard storedAccount == account, storedZone == timeZone else {
            throw CSVUploadMismatch(account: storedAccount, timeZone: storedZone)
        }
        let file = try tx.execute(cached: ImportSQL.upsertFile, [.text(tenant), .text(uploadID), .text(fileName)])
        guard file.rowCount == 1 else {
            throw IngestStoreError(code: .internal, operation: "reading a CSV upload file")
        }
        let progress = try Self.fileProgress(file, row: 0)
        var header: [String]?
        if let text = file[0, 10] {
            guard case .array(let values)? = try? JSONValue.parse(text) else {
                throw IngestStoreError(code: .internal, operation: "decoding a stored CSV header")
            }
            header = values.map { $0.stringValue ?? "" }
        }
        let cursor = CSVFileCursor(
            receivedOffset: progress.receivedOffset, tail: file.bytes(row: 0, column: 9) ?? [], header: header,
            line: file.int(row: 0, column: 11) ?? 1
        )
        return (uploadNumber, progress, cursor)
    }

    static func fileProgress(_ rows: PGResult, row: Int) throws -> CSVFileProgress {
        guard let name = rows[row, 0], let received = rows.int64(row: row, column: 1),
            let complete = rows.bool(row: row, column: 2)
        else {
            throw IngestStoreError(code: .internal, operation: "decoding a CSV upload file")
        }
        var progress = CSVFileProgress(fileName: name, receivedOffset: received, complete: complete)
        progress.rowsRead = rows.int64(row: row, column: 3) ?? 0
        progress.inserted = rows.int64(row: row, column: 4) ?? 0
        progress.duplicatesInImport = rows.int64(row: row, column: 5) ?? 0
        progress.alreadyPresent = rows.int64(row: row, column: 6) ?? 0
        progress.alreadyFromWebhook = rows.int64(row: row, column: 7) ?? 0
        progress.rejected = rows.int64(row: row, column: 8) ?? 0
        return progress
    }
}
