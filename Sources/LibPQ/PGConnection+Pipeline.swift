internal import CLibPQ

extension PGConnection {
    /// Runs one prepared statement once per parameter set, all in one round trip and one transaction
    /// (libpq pipeline mode: every execution is sent, then one Sync), and returns their results in order.
    ///
    /// For group commit: many small writes then share one commit, and one disk flush when the commit is
    /// durable. All or nothing: should any execution (or the commit) fail, the server skips the rest and
    /// rolls the transaction back, and this throws that first failure; nothing of the batch is stored.
    /// Callers that want the other executions stored run them again (one by one, to find the bad one).
    /// Not inside `transaction`: the batch is its own transaction.
    public func executeBatch(cached sql: String, _ parameterSets: [[PGParameter]]) throws(PGError) -> [PGResult] {
        let operation = "executing a batch of statements"
        guard !self.isInTransaction else {
            throw PGError(kind: .misuse, operation: operation, serverMessage: "a batch is its own transaction")
        }
        guard let first = parameterSets.first else { return [] }
        if parameterSets.count == 1 {
            return [try self.execute(cached: sql, first)]
        }
        guard let name = try self.preparedName(for: sql, first) else {
            // No statement cache left on this connection: one round trip each, still one transaction.
            try self.execute("BEGIN")
            do {
                let results = try parameterSets.map { parameters throws(PGError) in try self.execute(sql, parameters) }
                try self.execute("COMMIT")
                return results
            } catch {
                self.rollbackQuietly()
                throw error
            }
        }
        // Every value is checked before anything is sent: once part of the batch is in the pipeline,
        // the only way out is its Sync, which would commit that part.
        for parameters in parameterSets {
            for (index, parameter) in parameters.enumerated() {
                try Self.check(parameter, index: index)
            }
        }
        let handle = try self.requireHandle(operation: operation)
        guard PQenterPipelineMode(handle) == 1 else {
            throw self.connectionError(handle, operation: operation)
        }
        defer { _ = PQexitPipelineMode(handle) }
        for parameters in parameterSets {
            var sent: Int32 = 0
            _ = try Self.withParameters(parameters) { _, values, lengths, formats in
                sent = PQsendQueryPrepared(handle, name, Int32(parameters.count), values, lengths, formats, 0)
                return nil
            }
            guard sent == 1 else {
                throw self.abandonPipeline(handle, operation: operation)
            }
        }
        guard PQpipelineSync(handle) == 1 else {
            throw self.abandonPipeline(handle, operation: operation)
        }
        // Read every result up to the Sync's, whatever happened, so the connection is idle again.
        var results: [PGResult] = []
        var failure: PGError?
        for _ in parameterSets {
            guard let result = PQgetResult(handle) else {
                throw self.abandonPipeline(handle, operation: operation)
            }
            let status = PQresultStatus(result)
            if status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK {
                results.append(Self.copyResult(result))
            } else if failure == nil {
                failure = status == PGRES_PIPELINE_ABORTED
                    ? PGError(kind: .queryFailed, operation: operation, serverMessage: "skipped after an earlier failure")
                    : self.resultError(result, handle: handle, operation: operation)
            }
            PQclear(result)
            // Each execution's results end with a NULL.
            while let extra = PQgetResult(handle) { PQclear(extra) }
        }
        // The Sync: the commit, or the failure of the commit itself (an error result, then the Sync's).
        var emptyReads = 0
        while true {
            guard let result = PQgetResult(handle) else {
                emptyReads += 1
                guard emptyReads <= 2, PQstatus(handle) == CONNECTION_OK else {
                    throw self.abandonPipeline(handle, operation: operation)
                }
                continue
            }
            emptyReads = 0
            let status = PQresultStatus(result)
            if status == PGRES_PIPELINE_SYNC {
                PQclear(result)
                break
            }
            if failure == nil && status == PGRES_FATAL_ERROR {
                failure = self.resultError(result, handle: handle, operation: operation)
            }
            PQclear(result)
        }
        if let failure { throw failure }
        return results
    }

    /// The error for a pipeline that broke off (in practice a lost connection), after resetting the
    /// connection: whatever of the batch is still in flight is never committed (the server rolls back
    /// a transaction whose connection ends before its Sync), and the connection is usable again.
    private func abandonPipeline(_ handle: OpaquePointer, operation: String) -> PGError {
        let error = self.connectionError(handle, operation: operation)
        try? self.reset()
        return error
    }
}
