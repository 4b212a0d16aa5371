internal import CLibPQ

/// One statement of a batch (`PGConnection.executeBatch`): SQL with bind parameters.
public struct PGStatement: Sendable {
    public var sql: String
    public var parameters: [PGParameter]

    public init(_ sql: String, _ parameters: [PGParameter] = []) {
        self.sql = sql
        self.parameters = parameters
    }
}

extension PGConnection {
    /// Runs one prepared statement once per parameter set: `executeBatch(_:)` with that statement.
    public func executeBatch(cached sql: String, _ parameterSets: [[PGParameter]]) throws(PGError) -> [PGResult] {
        try self.executeBatch(parameterSets.map { PGStatement(sql, $0) })
    }

    /// Runs statements (each prepared once per connection, as `execute(cached:)` does) in one round
    /// trip and one transaction (libpq pipeline mode: every execution is sent, then one Sync), and
    /// returns their results in order.
    ///
    /// For group commit: many small writes then share one commit, and one disk flush when the commit is
    /// durable. All or nothing: should any execution (or the commit) fail, the server skips the rest and
    /// rolls the transaction back, and this throws that first failure; nothing of the batch is stored.
    /// Callers that want the other executions stored run them again (one by one, to find the bad one).
    /// A lost connection throws `.connectionLost`, and then the outcome is unknown. Not inside
    /// `transaction`: the batch is its own transaction.
    public func executeBatch(_ statements: [PGStatement]) throws(PGError) -> [PGResult] {
        let operation = "executing a batch of statements"
        guard !self.isInTransaction else {
            throw PGError(kind: .misuse, operation: operation, serverMessage: "a batch is its own transaction")
        }
        guard let first = statements.first else { return [] }
        if statements.count == 1 {
            return [try self.execute(cached: first.sql, first.parameters)]
        }
        var names: [String] = []
        for statement in statements {
            guard let name = try self.preparedName(for: statement.sql, statement.parameters) else {
                // No statement cache left on this connection: one round trip each, still one transaction.
                try self.execute("BEGIN")
                do {
                    let results = try statements.map { statement throws(PGError) in
                        try self.execute(statement.sql, statement.parameters)
                    }
                    try self.execute("COMMIT")
                    return results
                } catch {
                    self.rollbackQuietly()
                    throw error
                }
            }
            names.append(name)
        }
        // Every value is checked before anything is sent: once part of the batch is in the pipeline,
        // the only way out is its Sync, which would commit that part.
        for statement in statements {
            for (index, parameter) in statement.parameters.enumerated() {
                try Self.check(parameter, index: index)
            }
        }
        let handle = try self.requireHandle(operation: operation)
        guard PQenterPipelineMode(handle) == 1 else {
            throw self.connectionError(handle, operation: operation)
        }
        defer {
            // Fails only with results still unread, which the reads below rule out unless they
            // threw; a connection left in pipeline mode would break its next user. (`reset` keeps
            // the same handle, and a reset connection is out of pipeline mode.)
            if PQexitPipelineMode(handle) != 1 {
                try? self.reset()
            }
        }
        for (statement, name) in zip(statements, names) {
            let parameters = statement.parameters
            var sent: Int32 = 0
            _ = try Self.withParameters(parameters, checked: true) { _, values, lengths, formats in
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
        for _ in statements {
            guard let result = PQgetResult(handle) else {
                throw self.abandonPipeline(handle, operation: operation)
            }
            let status = PQresultStatus(result)
            if status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH {
                // A COPY has no place in a batch; the connection can't go on from here.
                PQclear(result)
                throw self.abandonPipeline(handle, operation: operation)
            }
            if status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK {
                results.append(Self.copyResult(result))
            } else if failure == nil {
                failure = status == PGRES_PIPELINE_ABORTED
                    ? PGError(kind: .queryFailed, operation: operation, serverMessage: "skipped after an earlier failure")
                    : self.resultError(result, handle: handle, operation: operation)
            }
            PQclear(result)
            // Each execution's results end with a NULL (one statement gives one result).
            var extras = 0
            while let extra = PQgetResult(handle) {
                PQclear(extra)
                extras += 1
                guard extras < 4 else { throw self.abandonPipeline(handle, operation: operation) }
            }
        }
        // The Sync: the commit, or the failure of the commit itself (an error result, then the Sync's).
        var reads = 0
        while true {
            reads += 1
            guard reads <= 8 else { throw self.abandonPipeline(handle, operation: operation) }
            guard let result = PQgetResult(handle) else {
                guard PQstatus(handle) == CONNECTION_OK else {
                    throw self.abandonPipeline(handle, operation: operation)
                }
                continue
            }
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

    /// The error for a pipeline that broke off, after resetting the connection so that it is usable
    /// again. Always `.connectionLost`: once the Sync was sent the batch may have committed, so the
    /// outcome is unknown and callers must not write it again as if it had failed.
    private func abandonPipeline(_ handle: OpaquePointer, operation: String) -> PGError {
        let error = PGError(kind: .connectionLost, operation: operation, serverMessage: Self.errorMessage(handle))
        try? self.reset()
        return error
    }
}
