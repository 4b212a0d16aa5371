internal import CLibPQ

/// One libpq connection (`PGconn`).
///
/// `@unchecked Sendable` because libpq allows a connection to be used from any thread but by only one thread at
/// a time, and the class does no locking of its own. That holds by ownership: a `PGPool` worker thread owns
/// each pooled connection and hands it to exactly one job at a time, and a standalone connection belongs to
/// the code that opened it. Never share one between concurrent tasks: that is what `PGPool` is for.
///
/// Every call blocks the calling thread until the server answers, so call it only from a dedicated thread
/// (a `PGPool` worker), never on an event loop or in Swift's cooperative pool.
public final class PGConnection: @unchecked Sendable {
    /// `nil` once closed.
    private var handle: OpaquePointer?
    /// Prepared statement names, keyed by SQL, for `execute(cached:)`. Protocol-level prepared statements
    /// survive transaction rollback, so the cache is only invalid after a reconnect.
    private var preparedStatements: [String: String] = [:]
    /// The number of statements `execute(cached:)` prepares per connection before it stops caching, so that a
    /// caller building SQL dynamically cannot grow server memory without bound.
    private static let preparedStatementLimit = 1_000

    /// Opens a connection; blocks until it is established or failed.
    ///
    /// - Parameters:
    ///   - conninfo: a libpq connection string (`host=… dbname=…`) or URI (`postgresql://…`).
    ///   - connectTimeout: overrides `connect_timeout` (whole seconds, minimum 2 as libpq requires).
    ///   - applicationName: `fallback_application_name`, shown in `pg_stat_activity`.
    public init(
        conninfo: String,
        connectTimeout: Duration? = nil,
        applicationName: String = "cbingest"
    ) throws(PGError) {
        try Self.validate(conninfo: conninfo)
        var keywords = ["dbname", "client_encoding", "fallback_application_name"]
        var values = [conninfo, "UTF8", applicationName]
        if let connectTimeout {
            keywords.append("connect_timeout")
            values.append(String(max(2, connectTimeout.components.seconds)))
        }
        let connection = Self.withCStringArray(keywords) { keywordPointers in
            Self.withCStringArray(values) { valuePointers in
                PQconnectdbParams(keywordPointers, valuePointers, 1)
            }
        }
        guard let connection else {
            throw PGError(kind: .connectionFailed, operation: "connecting", serverMessage: "out of memory")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Self.redact(Self.errorMessage(connection), conninfo: conninfo)
            PQfinish(connection)
            throw PGError(kind: .connectionFailed, operation: "connecting", serverMessage: message)
        }
        // libpq prints notices (e.g. "relation already exists, skipping") to stderr by default.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        self.handle = connection
    }

    deinit {
        if let handle = self.handle {
            PQfinish(handle)
        }
    }

    /// `true` while libpq considers the connection usable (`PQstatus == CONNECTION_OK`). A connection the
    /// server dropped while idle only shows as unhealthy once it is used, or after `checkAlive()`.
    public var isHealthy: Bool {
        guard let handle = self.handle else {
            return false
        }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// Reads whatever the server sent while the connection was idle, without blocking, so a connection the server
    /// terminated (e.g. `pg_terminate_backend`, a restart) is noticed before a statement is sent on it.
    /// Returns `isHealthy` afterwards.
    public func checkAlive() -> Bool {
        guard let handle = self.handle, PQstatus(handle) == CONNECTION_OK else {
            return false
        }
        let transactionStatus = PQtransactionStatus(handle)
        guard transactionStatus != PQTRANS_ACTIVE && transactionStatus != PQTRANS_UNKNOWN else {
            return false  // a command in flight: not idle, so not ours to probe
        }
        // A terminated backend sends an ErrorResponse and then closes the socket. The first read takes the
        // message (PQisBusy parses it and hands it to the notice processor), the second sees end-of-file, which
        // marks the connection bad. On a live idle connection both reads just find nothing (non-blocking).
        for _ in 0..<2 {
            if PQconsumeInput(handle) == 0 {
                return false
            }
            _ = PQisBusy(handle)
        }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// The server process serving this connection (`PQbackendPID`), e.g. for `pg_terminate_backend`.
    public var backendPID: Int32 {
        guard let handle = self.handle else {
            return 0
        }
        return PQbackendPID(handle)
    }

    /// The server's version as an integer, e.g. 150004.
    public var serverVersion: Int {
        guard let handle = self.handle else {
            return 0
        }
        return Int(PQserverVersion(handle))
    }

    /// `true` inside a transaction block (including a failed one).
    public var isInTransaction: Bool {
        guard let handle = self.handle else {
            return false
        }
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE
    }

    var isInFailedTransaction: Bool {
        guard let handle = self.handle else {
            return false
        }
        return PQtransactionStatus(handle) == PQTRANS_INERROR
    }

    /// Reconnects with the same parameters (`PQreset`), blocking. Prepared statements are gone afterwards and
    /// are prepared again on next use.
    public func reset() throws(PGError) {
        guard let handle = self.handle else {
            throw PGError(kind: .misuse, operation: "resetting a closed connection")
        }
        self.preparedStatements.removeAll()
        PQreset(handle)
        guard PQstatus(handle) == CONNECTION_OK else {
            throw PGError(kind: .connectionFailed, operation: "reconnecting", serverMessage: Self.errorMessage(handle))
        }
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
    }

    /// Closes the connection; any later call fails with `.misuse`.
    public func close() {
        if let handle = self.handle {
            PQfinish(handle)
        }
        self.handle = nil
        self.preparedStatements.removeAll()
    }

    /// Runs one statement with bind parameters (`PQexecParams`) and returns its rows as text.
    ///
    /// The SQL is a single statement using `$1`, `$2`, …; values are never spliced into it.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [PGParameter] = []) throws(PGError) -> PGResult {
        let handle = try self.requireHandle(operation: "executing a statement")
        let result = try Self.withParameters(parameters) { types, values, lengths, formats in
            PQexecParams(handle, sql, Int32(parameters.count), types, values, lengths, formats, 0)
        }
        return try self.consume(result, operation: "executing a statement")
    }

    /// Prepares `sql` under `name` on this connection (`PQprepare`); parameter types are inferred by the server.
    public func prepare(name: String, sql: String) throws(PGError) {
        try self.prepare(name: name, sql: sql, types: [])
    }

    /// Runs a statement prepared with `prepare(name:sql:)` (`PQexecPrepared`).
    @discardableResult
    public func executePrepared(name: String, _ parameters: [PGParameter] = []) throws(PGError) -> PGResult {
        let handle = try self.requireHandle(operation: "executing a prepared statement")
        let result = try Self.withParameters(parameters) { _, values, lengths, formats in
            PQexecPrepared(handle, name, Int32(parameters.count), values, lengths, formats, 0)
        }
        return try self.consume(result, operation: "executing a prepared statement")
    }

    /// Runs `sql` as a prepared statement, preparing it on this connection the first time it is seen.
    ///
    /// Saves the parse and plan on hot paths. The statement's parameter types are fixed on first use: `bytes`
    /// parameters are declared `bytea`, all others are inferred by the server from context.
    @discardableResult
    public func execute(cached sql: String, _ parameters: [PGParameter] = []) throws(PGError) -> PGResult {
        guard let name = try self.preparedName(for: sql, parameters) else {
            return try self.execute(sql, parameters)
        }
        return try self.executePrepared(name: name, parameters)
    }

    /// The name `sql` is prepared under on this connection, preparing it now if it is new (with the
    /// parameter types of `execute(cached:)`); nil once the per-connection limit is reached.
    func preparedName(for sql: String, _ parameters: [PGParameter]) throws(PGError) -> String? {
        if let name = self.preparedStatements[sql] {
            return name
        }
        guard self.preparedStatements.count < Self.preparedStatementLimit else {
            return nil
        }
        let name = "cbingest_\(self.preparedStatements.count + 1)"
        let types: [UInt32] = parameters.map { parameter in
            switch parameter {
            case .bytes: Self.byteaOID
            case .byteaArray: Self.byteaArrayOID
            case .text, .null: 0
            }
        }
        try self.prepare(name: name, sql: sql, types: types)
        self.preparedStatements[sql] = name
        return name
    }

    /// The number of statements `execute(cached:)` has prepared on this connection.
    public var cachedStatementCount: Int {
        self.preparedStatements.count
    }

    // MARK: - Internals

    /// The OID of `bytea`, declared for binary parameters.
    static let byteaOID: UInt32 = 17
    /// The OID of `bytea[]`.
    static let byteaArrayOID: UInt32 = 1001

    private func prepare(name: String, sql: String, types: [UInt32]) throws(PGError) {
        let handle = try self.requireHandle(operation: "preparing a statement")
        let result = types.withUnsafeBufferPointer { typePointer in
            PQprepare(handle, name, sql, Int32(types.count), types.isEmpty ? nil : typePointer.baseAddress)
        }
        _ = try self.consume(result, operation: "preparing a statement")
    }

    func requireHandle(operation: String) throws(PGError) -> OpaquePointer {
        guard let handle = self.handle else {
            throw PGError(kind: .misuse, operation: operation, serverMessage: "the connection is closed")
        }
        return handle
    }

    /// Turns a `PGresult` into a `PGResult` or a `PGError`, and always frees it.
    func consume(_ result: OpaquePointer?, operation: String) throws(PGError) -> PGResult {
        let handle = try self.requireHandle(operation: operation)
        guard let result else {
            throw self.connectionError(handle, operation: operation)
        }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        switch status {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return Self.copyResult(result)
        case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
            // A COPY reached execute(): end it so the connection stays usable.
            Self.abandonCopy(handle, status: status)
            throw PGError(kind: .unexpectedResult, operation: operation, serverMessage: "COPY needs copyIn")
        default:
            throw self.resultError(result, handle: handle, operation: operation)
        }
    }

    /// The error for a failed result: `.connectionLost` if the connection broke, else `.queryFailed`.
    func resultError(_ result: OpaquePointer, handle: OpaquePointer, operation: String) -> PGError {
        let sqlState = Self.field(result, UInt8(ascii: "C"))
        let message = Self.field(result, UInt8(ascii: "M")) ?? Self.cString(PQresultErrorMessage(result))
        let detail = Self.field(result, UInt8(ascii: "D"))
        let broken = PQstatus(handle) != CONNECTION_OK
        return PGError(
            kind: broken ? .connectionLost : .queryFailed,
            operation: operation,
            sqlState: sqlState,
            serverMessage: message,
            serverDetail: detail
        )
    }

    /// The error when libpq returned no result at all: out of memory or, in practice, a broken connection.
    func connectionError(_ handle: OpaquePointer, operation: String) -> PGError {
        PGError(
            kind: PQstatus(handle) == CONNECTION_OK ? .queryFailed : .connectionLost,
            operation: operation,
            serverMessage: Self.errorMessage(handle)
        )
    }

    static func errorMessage(_ handle: OpaquePointer) -> String? {
        Self.cString(PQerrorMessage(handle))
    }

    private static func field(_ result: OpaquePointer, _ code: UInt8) -> String? {
        Self.cString(PQresultErrorField(result, Int32(code)))
    }

    private static func cString(_ pointer: UnsafePointer<CChar>?) -> String? {
        guard let pointer else {
            return nil
        }
        let text = String(cString: pointer).trimmingTrailingWhitespace()
        return text.isEmpty ? nil : text
    }

    /// Copies every value out of `result` (before the caller's `PQclear`).
    static func copyResult(_ result: OpaquePointer) -> PGResult {
        let rowCount = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        var columns = [String]()
        columns.reserveCapacity(columnCount)
        for column in 0..<columnCount {
            columns.append(Self.cString(PQfname(result, Int32(column))) ?? "")
        }
        var values = [String?]()
        values.reserveCapacity(rowCount * columnCount)
        for row in 0..<rowCount {
            for column in 0..<columnCount {
                let r = Int32(row)
                let c = Int32(column)
                if PQgetisnull(result, r, c) != 0 {
                    values.append(nil)
                } else if let pointer = PQgetvalue(result, r, c) {
                    let length = Int(PQgetlength(result, r, c))
                    let bytes = UnsafeRawBufferPointer(start: pointer, count: length)
                    values.append(String(decoding: bytes, as: UTF8.self))
                } else {
                    values.append("")
                }
            }
        }
        let affected = PQcmdTuples(result).map { Int(String(cString: $0)) ?? 0 } ?? 0
        let status = PQcmdStatus(result).map { String(cString: $0) } ?? ""
        return PGResult(
            columns: columns,
            rowCount: rowCount,
            values: values,
            affectedRows: affected,
            commandStatus: status
        )
    }

    /// Ends a COPY that nobody will feed, and drains its results.
    static func abandonCopy(_ handle: OpaquePointer, status: ExecStatusType) {
        if status == PGRES_COPY_IN || status == PGRES_COPY_BOTH {
            _ = PQputCopyEnd(handle, "COPY must use copyIn")
        }
        if status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH {
            var buffer: UnsafeMutablePointer<CChar>?
            while PQgetCopyData(handle, &buffer, 0) > 0 {
                PQfreemem(buffer)
                buffer = nil
            }
        }
        Self.drainResults(handle)
    }

    /// Reads and frees results until libpq says the command is complete.
    static func drainResults(_ handle: OpaquePointer) {
        while let next = PQgetResult(handle) {
            let status = PQresultStatus(next)
            PQclear(next)
            if status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH {
                // Should not happen after ending the copy; stop rather than loop on a broken protocol state.
                return
            }
        }
    }

    /// Throws for a value libpq can't carry: text with a NUL (libpq takes text as C strings, so a NUL
    /// would silently truncate it) or more bytes than a length can say.
    static func check(_ parameter: PGParameter, index: Int) throws(PGError) {
        switch parameter {
        case .null:
            return
        case .text(let text):
            guard !text.utf8.contains(0) else {
                throw PGError(
                    kind: .invalidParameter,
                    operation: "binding parameter $\(index + 1)",
                    serverMessage: "text parameters cannot contain NUL characters"
                )
            }
        case .bytes(let bytes):
            guard bytes.count <= Int32.max else {
                throw PGError(
                    kind: .invalidParameter, operation: "binding parameter $\(index + 1)", serverMessage: "value too large"
                )
            }
        case .byteaArray(let elements):
            // The binary array: a 20-byte header, then each element with its 4-byte length.
            guard elements.count <= Int32.max, elements.reduce(20, { $0 + 4 + $1.count }) <= Int32.max else {
                throw PGError(
                    kind: .invalidParameter, operation: "binding parameter $\(index + 1)", serverMessage: "value too large"
                )
            }
        }
    }

    /// Appends a `bytea[]` in PostgreSQL's binary array format: dimensions, NULL flag, element type,
    /// then per dimension its length and lower bound (1), then each element as length and bytes, all
    /// integers big-endian. An empty array has no dimensions.
    static func appendBinaryByteaArray(_ elements: [[UInt8]], to storage: inout [UInt8]) {
        func append(_ value: Int32) {
            withUnsafeBytes(of: value.bigEndian) { storage.append(contentsOf: $0) }
        }
        append(elements.isEmpty ? 0 : 1)
        append(0)
        append(Int32(Self.byteaOID))
        guard !elements.isEmpty else { return }
        append(Int32(elements.count))
        append(1)
        for element in elements {
            append(Int32(element.count))
            storage.append(contentsOf: element)
        }
    }

    /// Lays out parameters for libpq: one contiguous buffer holding every value (text NUL-terminated), and
    /// arrays of pointers into it, all valid only inside `body`.
    /// `checked`: the caller has already passed every value through `check` (a batch checks all of
    /// them before it sends any).
    static func withParameters(
        _ parameters: [PGParameter],
        checked: Bool = false,
        _ body: (
            UnsafePointer<UInt32>?, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?
        ) -> OpaquePointer?
    ) throws(PGError) -> OpaquePointer? {
        if parameters.isEmpty {
            return body(nil, nil, nil, nil)
        }
        var storage = [UInt8]()
        var offsets = [Int?]()
        var types = [UInt32]()
        var lengths = [Int32]()
        var formats = [Int32]()
        offsets.reserveCapacity(parameters.count)
        types.reserveCapacity(parameters.count)
        lengths.reserveCapacity(parameters.count)
        formats.reserveCapacity(parameters.count)
        for (index, parameter) in parameters.enumerated() {
            switch parameter {
            case .null:
                offsets.append(nil)
                types.append(0)
                lengths.append(0)
                formats.append(0)
            case .text(let text):
                let utf8 = text.utf8
                if !checked { try Self.check(parameter, index: index) }
                offsets.append(storage.count)
                storage.append(contentsOf: utf8)
                storage.append(0)
                types.append(0)
                lengths.append(0)
                formats.append(0)
            case .bytes(let bytes):
                if !checked { try Self.check(parameter, index: index) }
                offsets.append(storage.count)
                storage.append(contentsOf: bytes)
                types.append(Self.byteaOID)
                lengths.append(Int32(bytes.count))
                formats.append(1)
            case .byteaArray(let elements):
                if !checked { try Self.check(parameter, index: index) }
                let start = storage.count
                offsets.append(start)
                Self.appendBinaryByteaArray(elements, to: &storage)
                types.append(Self.byteaArrayOID)
                lengths.append(Int32(storage.count - start))
                formats.append(1)
            }
        }
        // A non-NULL empty value needs a valid pointer (a NULL pointer means SQL NULL), so never leave the
        // buffer empty.
        storage.append(0)
        return storage.withUnsafeBytes { base in
            let values: [UnsafePointer<CChar>?] = offsets.map { offset in
                offset.map { (base.baseAddress! + $0).assumingMemoryBound(to: CChar.self) }
            }
            return values.withUnsafeBufferPointer { valuePointer in
                types.withUnsafeBufferPointer { typePointer in
                    lengths.withUnsafeBufferPointer { lengthPointer in
                        formats.withUnsafeBufferPointer { formatPointer in
                            body(
                                typePointer.baseAddress,
                                valuePointer.baseAddress,
                                lengthPointer.baseAddress,
                                formatPointer.baseAddress
                            )
                        }
                    }
                }
            }
        }
    }

    /// Calls `body` with a NULL-terminated array of C strings valid only inside it.
    private static func withCStringArray<R>(
        _ strings: [String],
        _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R
    ) -> R {
        var storage = [UInt8]()
        var offsets = [Int]()
        for string in strings {
            offsets.append(storage.count)
            storage.append(contentsOf: string.utf8)
            storage.append(0)
        }
        return storage.withUnsafeBytes { base in
            var pointers: [UnsafePointer<CChar>?] = offsets.map {
                (base.baseAddress! + $0).assumingMemoryBound(to: CChar.self)
            }
            pointers.append(nil)
            return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
        }
    }

    /// Rejects a malformed conninfo before libpq can echo pieces of it (which may be a password) in an error.
    private static func validate(conninfo: String) throws(PGError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &errorMessage) else {
            if let errorMessage {
                PQfreemem(errorMessage)
            }
            throw PGError(
                kind: .connectionFailed,
                operation: "parsing the connection string",
                serverMessage: "invalid connection string syntax"
            )
        }
        PQconninfoFree(options)
    }

    /// Removes the password (if the conninfo has one) from a libpq message.
    private static func redact(_ message: String?, conninfo: String) -> String? {
        guard let message, let password = Self.password(in: conninfo), !password.isEmpty else {
            return message
        }
        return message.replacing(password, with: "[redacted]")
    }

    private static func password(in conninfo: String) -> String? {
        guard let options = PQconninfoParse(conninfo, nil) else {
            return nil
        }
        defer { PQconninfoFree(options) }
        var option = options
        while let keyword = option.pointee.keyword {
            if String(cString: keyword) == "password", let value = option.pointee.val {
                return String(cString: value)
            }
            option += 1
        }
        return nil
    }
}

extension String {
    func trimmingTrailingWhitespace() -> String {
        var text = Substring(self)
        while let last = text.last, last.isWhitespace {
            text.removeLast()
        }
        return String(text)
    }

}
