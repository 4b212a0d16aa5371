internal import CLibPQ

extension PGConnection {
    /// Runs `COPY … FROM STDIN` (`sql`, which has no parameters) and lets `produce` write the rows; returns the
    /// number of rows the server stored.
    ///
    /// The bulk path: one round trip for the whole data set. If `produce` throws, the COPY is aborted
    /// (`PQputCopyEnd` with an error message, so the server stores nothing) and the error is rethrown as
    /// `.copyFailed` with the producer's error as `cause`. Server-side failures (bad data, constraint
    /// violations) arrive when the COPY ends and are thrown with their SQLSTATE.
    @discardableResult
    public func copyIn(_ sql: String, _ produce: (PGCopyWriter) throws -> Void) throws(PGError) -> Int {
        let operation = "running COPY"
        let handle = try self.requireHandle(operation: operation)
        guard let start = PQexecParams(handle, sql, 0, nil, nil, nil, nil, 0) else {
            throw self.connectionError(handle, operation: operation)
        }
        let startStatus = PQresultStatus(start)
        guard startStatus == PGRES_COPY_IN else {
            defer { PQclear(start) }
            if startStatus == PGRES_COMMAND_OK || startStatus == PGRES_TUPLES_OK {
                throw PGError(kind: .unexpectedResult, operation: operation, serverMessage: "not a COPY FROM STDIN")
            }
            if startStatus == PGRES_COPY_OUT || startStatus == PGRES_COPY_BOTH {
                Self.abandonCopy(handle, status: startStatus)
                throw PGError(kind: .unexpectedResult, operation: operation, serverMessage: "not a COPY FROM STDIN")
            }
            throw self.resultError(start, handle: handle, operation: operation)
        }
        PQclear(start)

        let writer = PGCopyWriter(connection: self)
        defer { writer.close() }
        var failure: PGError?
        do {
            try produce(writer)
            try writer.flush()
        } catch let error as PGError {
            failure = error
        } catch {
            failure = PGError(
                kind: .copyFailed,
                operation: operation,
                serverMessage: "the producer failed",
                cause: error
            )
        }

        // End the COPY either way; with an error message the server discards everything sent.
        let endStatus: Int32
        if failure != nil {
            endStatus = PQputCopyEnd(handle, "aborted by the client")
        } else {
            endStatus = PQputCopyEnd(handle, nil)
        }
        var serverError: PGError?
        var rows = 0
        if endStatus != 1 {
            serverError = self.connectionError(handle, operation: operation)
        }
        // Collect the final result(s); always drain so the connection is ready for the next statement.
        while let result = PQgetResult(handle) {
            let status = PQresultStatus(result)
            if status == PGRES_COMMAND_OK {
                rows = PQcmdTuples(result).map { Int(String(cString: $0)) ?? 0 } ?? 0
            } else if status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH {
                // The protocol state is broken (should not happen after PQputCopyEnd): give up on the results.
                PQclear(result)
                serverError = serverError ?? PGError(kind: .connectionLost, operation: operation)
                break
            } else if serverError == nil {
                serverError = self.resultError(result, handle: handle, operation: operation)
            }
            PQclear(result)
        }
        if let failure {
            throw failure
        }
        if let serverError {
            throw serverError
        }
        return rows
    }
}
