import Foundation
import Synchronization

extension IngestClient {
    /// A file to import: its name (as the server records it) and a way to read its bytes.
    public struct CSVImportFile: Sendable {
        public var name: String
        public var size: Int64
        let read: @Sendable (_ offset: Int64, _ count: Int) throws -> [UInt8]

        /// A file on disk, read chunk by chunk (never whole). `name` defaults to the file's last path component.
        public static func path(_ path: String, name: String? = nil) throws -> CSVImportFile {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
            return CSVImportFile(name: name ?? URL(fileURLWithPath: path).lastPathComponent, size: size) { offset, count in
                let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
                defer { try? handle.close() }
                try handle.seek(toOffset: UInt64(offset))
                let data = try handle.read(upToCount: count) ?? Data()
                guard data.count == count else {
                    throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: path])
                }
                return [UInt8](data)
            }
        }

        /// Bytes in memory (tests, small files).
        public static func bytes(_ bytes: [UInt8], name: String) -> CSVImportFile {
            CSVImportFile(name: name, size: Int64(bytes.count)) { offset, count in
                Array(bytes[Int(offset)..<(Int(offset) + count)])
            }
        }
    }

    /// Settings of one import; every one has a default.
    public struct CSVImportOptions: Sendable {
        /// Names the import across reconnects; reuse it to resume an import a previous process started.
        public var uploadID: String = UUID().uuidString.lowercased()
        /// IANA zone of the export's dates; empty = the server's default (America/Los_Angeles).
        public var timeZone: String = ""
        /// Bytes per chunk message (must stay under the server's message limit, 4 MiB by default).
        public var chunkSize: Int = 1 << 20
        /// How many times a dropped connection is resumed before giving up.
        public var maximumResumes: Int = 20
        /// The deadline of each streaming call (one call carries the whole import).
        public var callTimeout: Duration = .seconds(24 * 3600)
        /// The first wait before resuming; doubles up to 5 s.
        public var resumeDelay: Duration = .milliseconds(200)

        public init() {}
    }

    /// Where an import stands, after each chunk the server applied.
    public struct CSVImportProgress: Sendable {
        /// The server's progress reply (file, committed offset, counts over the files of this call).
        public var reply: ImportCSVResponse
        /// Bytes of all files applied by the server, and their total size.
        public var bytesCommitted: Int64
        public var totalBytes: Int64
        /// Connections lost and resumed so far.
        public var resumes: Int
    }

    /// Imports ClickBank Transactions exports: streams the files in chunks over one call (the server
    /// stores each chunk in one transaction as it arrives, granting credit only as it goes), reports
    /// progress, and returns the summary of the whole upload.
    ///
    /// If the connection drops (or the server restarts), it asks the server where the upload stands
    /// (`status_only`) and continues from there on a new call, up to `maximumResumes` times: no row is
    /// lost or stored twice. Throws `RPCError` for a refused file (INVALID_ARGUMENT, e.g. missing
    /// columns) or when resuming fails.
    public func importCSV(
        tenantID: String,
        account: String,
        files: [CSVImportFile],
        options: CSVImportOptions = .init(),
        onProgress: @escaping @Sendable (CSVImportProgress) -> Void = { _ in }
    ) async throws -> ImportCSVResponse {
        guard !files.isEmpty else {
            throw RPCError(.invalidArgument, "no file to import")
        }
        var template = ImportCSVRequest()
        template.uploadId = options.uploadID
        template.tenantId = tenantID
        template.account = account
        template.timeZone = options.timeZone
        let totalBytes = files.reduce(Int64(0)) { $0 + $1.size }
        var resumes = 0
        var start: [String: (offset: Int64, complete: Bool)] = [:]
        while true {
            do {
                if resumes > 0 {
                    start = try await self.csvUploadOffsets(template)
                }
                return try await self.streamCSV(
                    template, files: files, start: start, options: options, totalBytes: totalBytes, resumes: resumes,
                    onProgress: onProgress
                )
            } catch let error as RPCError where Self.isResumable(error) && resumes < options.maximumResumes {
                resumes += 1
                let delay = min(options.resumeDelay * (1 << min(resumes - 1, 5)), .seconds(5))
                try await Task.sleep(for: delay)
            }
        }
    }

    /// One ImportCSV request as its own call, the way a stock protobuf-c-rpc client sends each chunk.
    /// `importCSV` is the better choice for whole files; this is for callers that manage chunks themselves.
    public func importCSVChunk(_ request: ImportCSVRequest, timeout: Duration? = nil) async throws -> ImportCSVResponse {
        try await self.call(.importCSV, request, timeout: timeout, idempotent: true)
    }

    /// Where an upload stands on the server (a status-only ImportCSV call).
    public func csvUploadStatus(tenantID: String, account: String, uploadID: String, timeZone: String = "") async throws -> ImportCSVResponse {
        var request = ImportCSVRequest()
        request.uploadId = uploadID
        request.tenantId = tenantID
        request.account = account
        request.timeZone = timeZone
        request.statusOnly = true
        return try await self.call(.importCSV, request, timeout: nil, idempotent: true)
    }

    // MARK: Internals

    static func isResumable(_ error: RPCError) -> Bool {
        switch error.code {
        case .unavailable, .aborted, .deadlineExceeded: true
        // The server has other bytes than we thought (a chunk crossed a drop): ask it and go on.
        case .failedPrecondition: error.message.contains("resend from offset")
        default: false
        }
    }

    private func csvUploadOffsets(_ template: ImportCSVRequest) async throws -> [String: (offset: Int64, complete: Bool)] {
        var request = template
        request.statusOnly = true
        let status: ImportCSVResponse = try await self.call(.importCSV, request, timeout: nil, idempotent: true)
        var offsets: [String: (offset: Int64, complete: Bool)] = [:]
        for file in status.files {
            offsets[file.fileName] = (Int64(file.committedOffset), file.complete)
        }
        return offsets
    }

    private func streamCSV(
        _ template: ImportCSVRequest,
        files: [CSVImportFile],
        start: [String: (offset: Int64, complete: Bool)],
        options: CSVImportOptions,
        totalBytes: Int64,
        resumes: Int,
        onProgress: @escaping @Sendable (CSVImportProgress) -> Void
    ) async throws -> ImportCSVResponse {
        let committed = Mutex<[String: Int64]>([:])
        committed.withLock { map in
            for file in files {
                map[file.name] = start[file.name].map { $0.complete ? file.size : $0.offset } ?? 0
            }
        }
        let stream = try await self.channel.clientStreaming(
            methodIndex: IngestMethod.importCSV.rawValue, timeout: options.callTimeout
        ) { bytes in
            guard let reply = try? ImportCSVResponse(serializedBytes: bytes) else { return }
            let done = committed.withLock { map in
                map[reply.fileName] = Int64(reply.committedOffset)
                return map.values.reduce(0, +)
            }
            onProgress(CSVImportProgress(reply: reply, bytesCommitted: done, totalBytes: totalBytes, resumes: resumes))
        }
        let chunkSize = max(1, options.chunkSize)
        let bytes: [UInt8] = try await withTaskCancellationHandler {
            // One message is held back so that the last one can carry END_STREAM.
            var pending: [UInt8]?
            for file in files {
                if start[file.name]?.complete == true { continue }
                var offset = min(start[file.name]?.offset ?? 0, file.size)
                repeat {
                    let count = Int(min(Int64(chunkSize), file.size - offset))
                    var request = template
                    request.fileName = file.name
                    request.offset = UInt64(offset)
                    request.data = try file.read(offset, count)
                    request.lastChunk = offset + Int64(count) >= file.size
                    if let pending {
                        try await stream.send(pending)
                    }
                    pending = request.serializedBytes()
                    offset += Int64(count)
                } while offset < file.size
            }
            if pending == nil {
                var request = template
                request.statusOnly = true
                pending = request.serializedBytes()
            }
            return try await stream.finish(lastMessage: pending!)
        } onCancel: {
            stream.cancel()
        }
        do {
            return try ImportCSVResponse(serializedBytes: bytes)
        } catch {
            throw RPCError(.internal, "the server's ImportCSV reply could not be decoded")
        }
    }
}
