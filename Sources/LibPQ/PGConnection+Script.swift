internal import CLibPQ

extension PGConnection {
    /// Runs a fixed script of one or more statements with the simple query protocol (`PQexec`), e.g. a
    /// migration's DDL.
    ///
    /// The only way into the simple protocol, and it takes a `StaticString` on purpose: a literal in the
    /// source, which can't be interpolated or built from runtime values, so this path can never carry data.
    /// Everything with values goes through `execute` and bind parameters.
    public func executeScript(_ sql: StaticString) throws(PGError) {
        let operation = "running a script"
        let handle = try self.requireHandle(operation: operation)
        let text = sql.description
        let result = PQexec(handle, text)
        _ = try self.consume(result, operation: operation)
    }
}
