extension PGConnection {
    /// Runs `body` inside `BEGIN`/`COMMIT`; rolls back and rethrows if `body` throws.
    ///
    /// If `body` swallowed a failed statement, PostgreSQL has already aborted the transaction and `COMMIT`
    /// would silently roll back; that case is detected and thrown as `.transactionAborted`, so a lost write
    /// never looks like success. Transactions don't nest: calling this inside one throws `.misuse`.
    public func transaction<T>(_ body: (PGConnection) throws -> T) throws -> T {
        guard !self.isInTransaction else {
            throw PGError(kind: .misuse, operation: "starting a transaction", serverMessage: "already in a transaction")
        }
        try self.execute("BEGIN")
        let value: T
        do {
            value = try body(self)
        } catch {
            self.rollbackQuietly()
            throw error
        }
        if self.isInFailedTransaction {
            self.rollbackQuietly()
            throw PGError(
                kind: .transactionAborted,
                operation: "committing a transaction",
                serverMessage: "a statement failed inside the transaction, which was rolled back"
            )
        }
        do {
            try self.execute("COMMIT")
        } catch {
            if self.isInTransaction {
                self.rollbackQuietly()
            }
            throw error
        }
        return value
    }

    /// Rolls back, ignoring failure: used while an earlier error is being reported, which matters more. If the
    /// connection is broken the server has rolled back anyway.
    func rollbackQuietly() {
        guard self.isHealthy else {
            return
        }
        _ = try? self.execute("ROLLBACK")
    }
}
