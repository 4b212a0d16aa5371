import ClickBank
import ClickBankCSV
import Dispatch
import IngestMessages
import IngestStore
import Logging
import RPCCore

/// ImportCSV (docs/PROTOCOL.md, "ImportCSV"): chunks of ClickBank Transactions exports, applied one
/// transaction per chunk, with each file's progress kept in PostgreSQL so the service stays stateless.
extension IngestHandlers {
    static let defaultCSVTimeZone = "America/Los_Angeles"
    /// Rejections listed in a reply; the rest are counted in `rejections_not_listed`.
    static let listedRejections = 100

    func importCSV(
        _ requests: AsyncThrowingMapSequence<RPCRequestStream, ImportCSVRequest>,
        _ writer: RPCReplyWriter,
        _ context: RPCCallContext
    ) async throws -> ImportCSVResponse {
        var upload: CSVUploadTarget?
        // The upload's parser settings, checked once per call (the time zone is the same in every message).
        var configuration: CSVImportConfiguration?
        var files: [CSVFileProgress] = []
        // One chunk is applied (in PostgreSQL) while the next is parsed (here): the two overlap. The
        // next chunk is parsed from the cursor the previous one will leave, which the store checks.
        var inflight: CSVChunkInFlight?
        defer { inflight?.task.cancel() }
        var expectedCursors: [String: CSVFileCursor] = [:]
        for try await request in requests {
            let target = try CSVUploadTarget(request)
            if let upload, upload != target {
                throw ServiceError.invalidArgument(
                    "one ImportCSV call carries one upload: upload_id, tenant_id, account and time_zone must not change"
                )
            }
            if upload == nil {
                upload = target
                configuration = try Self.csvConfiguration(timeZone: target.timeZone)
            }
            guard !request.statusOnly, let configuration else { continue }
            let fileName = try Self.csvFileName(request.fileName)

            if expectedCursors[fileName] == nil, let previous = inflight {
                // Where this file stands is known once the previous chunk is applied.
                inflight = nil
                if let response = try await self.finishCSVChunk(previous, &files, &expectedCursors, writer, context) {
                    return response
                }
            }
            let expected = expectedCursors[fileName]
                ?? (request.offset == 0 ? CSVFileCursor(receivedOffset: 0, tail: [], header: nil, line: 1) : nil)
            var prestaged: CSVPrestagedChunk?
            if let expected {
                prestaged = await Self.prestage(request, cursor: expected, account: target.account, configuration: configuration)
            }
            expectedCursors[fileName] = prestaged?.staged.next

            if let previous = inflight {
                inflight = nil
                if let response = try await self.finishCSVChunk(previous, &files, &expectedCursors, writer, context) {
                    return response
                }
            }
            inflight = CSVChunkInFlight(
                target: target, fileName: fileName, predictedNext: prestaged?.staged.next,
                task: Task { [self] in
                    try await self.applyCSVChunk(
                        target, fileName: fileName, request, configuration: configuration, prestaged: prestaged
                    )
                }
            )
        }
        if let previous = inflight {
            inflight = nil
            if let response = try await self.finishCSVChunk(previous, &files, &expectedCursors, writer, context) {
                return response
            }
        }
        guard let upload else {
            throw ServiceError.invalidArgument("ImportCSV needs at least one request message")
        }
        return try await self.csvStatusResponse(upload, fileName: files.last?.fileName, final: true)
    }

    // MARK: Steps

    /// Parses a chunk ahead of its transaction from the cursor its file is expected to have; nil when
    /// the chunk doesn't start there or doesn't parse (the transaction parses it again and reports).
    ///
    /// Parsing a 1 MiB chunk takes tens of milliseconds of CPU: it runs on a Dispatch queue, not on
    /// one of the few cooperative threads that every other call of the service shares.
    private static func prestage(
        _ request: ImportCSVRequest, cursor: CSVFileCursor, account: String, configuration: CSVImportConfiguration
    ) async -> CSVPrestagedChunk? {
        guard Int64(clamping: request.offset) == cursor.receivedOffset else { return nil }
        let data = request.data
        let endsFile = request.lastChunk
        return await withCheckedContinuation { continuation in
            Self.parseQueue.async {
                let staged = try? CSVChunkStager.stage(
                    cursor: cursor, bytes: data[...], endsFile: endsFile, account: account, configuration: configuration
                )
                continuation.resume(returning: staged.map { CSVPrestagedChunk(cursor: cursor, endsFile: endsFile, staged: $0) })
            }
        }
    }

    private static let parseQueue = DispatchQueue(label: "cbingest.csv-parse", attributes: .concurrent)

    /// Waits for an applied chunk and reports it: progress to an extended client, the file's cursor
    /// for the next chunk. Returns the final reply instead when a stock client must resend from elsewhere.
    private func finishCSVChunk(
        _ chunk: CSVChunkInFlight, _ files: inout [CSVFileProgress], _ expectedCursors: inout [String: CSVFileCursor],
        _ writer: RPCReplyWriter, _ context: RPCCallContext
    ) async throws -> ImportCSVResponse? {
        let result: CSVChunkResult
        do {
            result = try await chunk.task.value
        } catch let gap as CSVOffsetGap {
            guard !context.isExtended else { throw ServiceError.csvOffsetGap(gap) }
            // A stock client gets the offset to resend from in the reply itself, next to the error.
            var response = try await self.csvStatusResponse(chunk.target, fileName: chunk.fileName, final: true)
            response.committedOffset = UInt64(gap.expectedOffset)
            response.error = ServiceError.csvOffsetGap(gap).rpcError.callError
            return response
        }
        if result.disposition == .applied {
            self.metrics.countImportRows(current: result.progress, previous: result.previous)
        }
        if chunk.predictedNext == nil {
            // Not parsed ahead: the next chunk of the file waited for this cursor.
            expectedCursors[chunk.fileName] = result.next
        } else if result.next != chunk.predictedNext {
            // Parsed ahead from a cursor the file didn't have (another instance moved it): the next
            // chunks were parsed from the wrong one too; start again from the stored one.
            expectedCursors[chunk.fileName] = nil
        }
        if let index = files.firstIndex(where: { $0.fileName == chunk.fileName }) {
            files[index] = result.progress
        } else {
            files.append(result.progress)
        }
        if context.isExtended {
            writer.send(Self.csvProgressResponse(chunk.target.uploadID, current: result.progress, files: files))
        }
        if result.disposition == .applied, result.progress.complete {
            context.logger.info(
                "imported a CSV file",
                metadata: [
                    "tenant": "\(chunk.target.tenant)", "account": "\(chunk.target.account)",
                    "upload": "\(chunk.target.uploadID)", "rows": "\(result.progress.rowsRead)",
                    "inserted": "\(result.progress.inserted)", "rejected": "\(result.progress.rejected)",
                ]
            )
        }
        return nil
    }

    private func applyCSVChunk(
        _ target: CSVUploadTarget, fileName: String, _ request: ImportCSVRequest, configuration: CSVImportConfiguration,
        prestaged: CSVPrestagedChunk?
    ) async throws -> CSVChunkResult {
        do {
            return try await self.store.applyCSVChunk(
                tenant: target.tenant, uploadID: target.uploadID, account: target.account,
                timeZone: target.timeZone, fileName: fileName, offset: Int64(clamping: request.offset),
                data: request.data, lastChunk: request.lastChunk, prestaged: prestaged
            ) { cursor, bytes, endsFile in
                try CSVChunkStager.stage(
                    cursor: cursor, bytes: bytes, endsFile: endsFile, account: target.account, configuration: configuration
                )
            }
        } catch let gap as CSVOffsetGap {
            throw gap
        } catch let error as CSVImportError {
            throw ServiceError.invalidArgument("\(fileName): \(error)")
        } catch is CSVUploadMismatch {
            throw ServiceError.failedPrecondition(
                "upload_id \(target.uploadID) was started with another account or time zone: use a new upload_id"
            )
        } catch {
            return try await self.storeCall { throw error }
        }
    }

    private func csvStatusResponse(_ target: CSVUploadTarget, fileName: String?, final: Bool) async throws -> ImportCSVResponse {
        let status = try await self.storeCall {
            try await self.store.csvUploadStatus(
                tenant: target.tenant, uploadID: target.uploadID, listRejections: Self.listedRejections
            )
        }
        var response = ImportCSVResponse()
        response.uploadId = target.uploadID
        response.final = final
        guard let status else { return response }  // Unknown upload: nothing received yet.
        Self.fill(&response, files: status.files)
        let current = status.files.first { $0.fileName == fileName } ?? status.files.last
        response.fileName = current?.fileName ?? ""
        response.committedOffset = UInt64(current?.receivedOffset ?? 0)
        response.rejections = status.rejections.map { RejectedRow(fileName: $0.fileName, line: UInt64($0.line), reason: $0.reason) }
        response.rejectionsNotListed = UInt64(status.rejectionsNotListed)
        return response
    }

    static func csvProgressResponse(_ uploadID: String, current: CSVFileProgress, files: [CSVFileProgress]) -> ImportCSVResponse {
        var response = ImportCSVResponse()
        response.uploadId = uploadID
        response.fileName = current.fileName
        response.committedOffset = UInt64(current.receivedOffset)
        Self.fill(&response, files: files)
        return response
    }

    private static func fill(_ response: inout ImportCSVResponse, files: [CSVFileProgress]) {
        response.files = files.map { file in
            var summary = FileSummary()
            summary.fileName = file.fileName
            summary.committedOffset = UInt64(file.receivedOffset)
            summary.complete = file.complete
            summary.rowsRead = UInt64(file.rowsRead)
            summary.inserted = UInt64(file.inserted)
            summary.duplicatesInImport = UInt64(file.duplicatesInImport)
            summary.alreadyPresent = UInt64(file.alreadyPresent)
            summary.alreadyFromWebhook = UInt64(file.alreadyFromWebhook)
            summary.rejected = UInt64(file.rejected)
            return summary
        }
        for file in response.files {
            response.rowsRead += file.rowsRead
            response.inserted += file.inserted
            response.duplicatesInImport += file.duplicatesInImport
            response.alreadyPresent += file.alreadyPresent
            response.alreadyFromWebhook += file.alreadyFromWebhook
            response.rejected += file.rejected
        }
    }

    // MARK: Validation

    static func csvConfiguration(timeZone: String) throws -> CSVImportConfiguration {
        // Every rejection of a chunk is handed to the store, which keeps the first ones of the upload.
        let configuration = CSVImportConfiguration(timeZoneIdentifier: timeZone, maximumListedRejections: .max)
        do {
            _ = try CSVImportStream(configuration: configuration)
        } catch {
            throw ServiceError.invalidArgument("time_zone: \(error)")
        }
        return configuration
    }

    /// 1-255 bytes of printable text: it names the file in replies and rejections.
    static func csvFileName(_ name: String) throws(ServiceError) -> String {
        guard !name.isEmpty, name.utf8.count <= 255, !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else {
            throw .invalidArgument("file_name must be 1-255 bytes without control characters")
        }
        return name
    }
}

/// A chunk whose transaction runs while the handler reads and parses the next one.
struct CSVChunkInFlight {
    var target: CSVUploadTarget
    var fileName: String
    /// The cursor the chunk leaves if it was parsed ahead from the right one; nil if not parsed ahead.
    var predictedNext: CSVFileCursor?
    var task: Task<CSVChunkResult, any Error>
}

/// The upload a request names: the same in every message of one call.
struct CSVUploadTarget: Hashable {
    var tenant: String
    var account: String
    var uploadID: String
    var timeZone: String

    init(_ request: ImportCSVRequest) throws(ServiceError) {
        self.tenant = try Identifiers.tenant(request.tenantId)
        self.account = try Identifiers.account(request.account)
        // The upload id joins database keys and logs: the tenant id's rules.
        guard (try? Identifiers.tenant(request.uploadId)) != nil else {
            throw .invalidArgument("upload_id must be 1-128 characters of A-Z, a-z, 0-9, '.', '_', ':' or '-' (a UUID fits)")
        }
        self.uploadID = request.uploadId
        self.timeZone = request.timeZone.isEmpty ? IngestHandlers.defaultCSVTimeZone : request.timeZone
    }
}

extension ServiceError {
    static func csvOffsetGap(_ gap: CSVOffsetGap) -> ServiceError {
        .failedPrecondition(
            "\(gap.fileName): expected offset \(gap.expectedOffset), got \(gap.offset): resend from offset \(gap.expectedOffset)"
        )
    }
}

extension RPCError {
    var callError: CallError {
        var error = CallError()
        error.code = self.code.rawValue
        error.message = self.message
        return error
    }
}

/// Parses one chunk of a file from its stored cursor into staging rows for the store.
enum CSVChunkStager {
    /// An event's store key (`EventKeys.eventBytes`) as two words: the rows of a chunk are grouped by
    /// the same key that makes events unique in the store, hashed without going through strings.
    private struct EventKey: Hashable {
        var high: UInt64
        var low: UInt64

        init(_ bytes: [UInt8]) {
            self.high = bytes[0..<8].reduce(0) { $0 << 8 | UInt64($1) }
            self.low = bytes[8..<16].reduce(0) { $0 << 8 | UInt64($1) }
        }
    }

    static func stage(
        cursor: CSVFileCursor, bytes: ArraySlice<UInt8>, endsFile: Bool, account: String,
        configuration: CSVImportConfiguration
    ) throws -> CSVStagedChunk {
        var stream: CSVImportStream
        if let header = cursor.header {
            let point = CSVResumePoint(offset: cursor.parsedOffset, line: cursor.line, header: header)
            stream = try CSVImportStream(configuration: configuration, resumingFrom: point)
        } else {
            stream = try CSVImportStream(configuration: configuration)
        }
        var transactions: [CSVTransaction] = []
        transactions.reserveCapacity(bytes.count / 160 + 16)
        try stream.feed(cursor.tail) { transactions.append($0) }
        try stream.feed(bytes) { transactions.append($0) }
        if endsFile {
            try stream.finish { transactions.append($0) }
        }

        let received = cursor.receivedOffset + Int64(bytes.count)
        var next = CSVFileCursor(receivedOffset: received, tail: [], header: stream.columns?.header, line: 1)
        if let point = stream.resumePoint {
            next.line = point.line
        }
        if !endsFile {
            let tailStart = Int(stream.committableOffset - cursor.parsedOffset)
            if tailStart >= cursor.tail.count {
                next.tail = Array(bytes.dropFirst(tailStart - cursor.tail.count))
            } else {
                next.tail = Array(cursor.tail[tailStart...]) + Array(bytes)
            }
            if next.tail.count > configuration.maximumRecordBytes {
                throw ServiceError.invalidArgument(
                    "line \(next.line): a record longer than \(configuration.maximumRecordBytes) bytes "
                        + "(an unclosed quote?): the file can't be imported"
                )
            }
        }

        var staged = CSVStagedChunk(next: next)
        staged.complete = endsFile
        staged.rowsRead = Int64(stream.rowsRead)
        staged.rejections = stream.rejections.map { (line: $0.line, reason: $0.reason) }

        // Rows that repeat an earlier row of the chunk are counted here; the store sees each key once.
        var seen = Set<CSVTransaction.Identity>(minimumCapacity: transactions.count)
        var rows: [CSVStageRow] = []
        rows.reserveCapacity(transactions.count)
        var firstOfEvent: [EventKey: Int] = [:]
        for transaction in transactions {
            guard seen.insert(transaction.identity).inserted else {
                staged.duplicatesInChunk += 1
                continue
            }
            var row = Self.row(transaction, account: account)
            let key = EventKey(row.eventKey)
            if let first = firstOfEvent[key] {
                // An event's totals are exact sums of its lines: a line that would overflow them is
                // rejected rather than leaving a wrong total.
                guard let account = Self.sum(rows[first].eventAccountTotal, row.amount),
                    let order = Self.sum(rows[first].eventOrderTotal, row.orderAmount),
                    let tax = Self.sum(rows[first].eventTaxTotal, row.taxAmount),
                    let shipping = Self.sum(rows[first].eventShippingTotal, row.shippingAmount)
                else {
                    seen.remove(transaction.identity)
                    staged.rejections.append(
                        (line: transaction.line, reason: "amounts too large: the order's totals would exceed what can be stored exactly")
                    )
                    continue
                }
                rows[first].eventAccountTotal = account
                rows[first].eventOrderTotal = order
                rows[first].eventTaxTotal = tax
                rows[first].eventShippingTotal = shipping
            } else {
                firstOfEvent[key] = rows.count
                row.eventFirst = true
                row.eventAccountTotal = row.amount
                row.eventOrderTotal = row.orderAmount
                row.eventTaxTotal = row.taxAmount
                row.eventShippingTotal = row.shippingAmount
                row.trackingCode = transaction.trackingID
                let customer = transaction.customer
                row.customerFirstName = customer.firstName
                row.customerLastName = customer.lastName
                row.customerFullName = customer.fullName
                row.customerEmail = customer.email
                row.customerCity = customer.city
                row.customerState = customer.state
                row.customerPostalCode = customer.postalCode
                row.customerCountry = customer.country
            }
            rows.append(row)
        }
        for row in rows {
            staged.rows.append(row)
        }
        return staged
    }

    /// A total plus a line's amount, either possibly absent; `.some(nil)` when both are absent, `nil`
    /// when the sum overflows.
    private static func sum(_ total: ExactDecimal?, _ value: ExactDecimal?) -> ExactDecimal?? {
        guard let value else { return .some(total) }
        guard let total else { return .some(value) }
        return total.adding(value).map { .some($0) }
    }

    private static func row(_ transaction: CSVTransaction, account: String) -> CSVStageRow {
        var extra: String?
        if !transaction.extraColumns.isEmpty {
            extra = JSONValue.object(transaction.extraColumns.map { JSONMember(key: $0.name, value: .string($0.value)) }).jsonText
        }
        let eventKey = EventKeys.eventBytes(
            account: account, role: transaction.role, receipt: transaction.receipt,
            transactionType: transaction.transactionTypeCode, instantMilliseconds: transaction.instant.unixMilliseconds
        )
        return CSVStageRow(
            line: transaction.line, eventKey: eventKey, role: transaction.role, receipt: transaction.receipt,
            transactionType: transaction.transactionTypeCode, timeMs: transaction.instant.unixMilliseconds,
            itemNo: transaction.itemNo, kind: transaction.kind.name, vendor: transaction.vendor,
            affiliate: transaction.affiliate, utcOffsetMinutes: transaction.instant.utcOffsetMinutes,
            currency: transaction.currency, paymentMethod: transaction.paymentMethod,
            upsellOriginalReceipt: transaction.upsellOriginalReceipt, productTitle: transaction.productTitle,
            lineItemType: transaction.lineItemType, amount: transaction.amount, orderAmount: transaction.orderAmount,
            taxAmount: transaction.taxAmount, shippingAmount: transaction.shippingAmount, extraJSON: extra
        )
    }
}
