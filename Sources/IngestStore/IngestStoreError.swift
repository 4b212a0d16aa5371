/// A storage failure, classified so callers can map it to an RPC status without knowing about PostgreSQL.
///
/// `description` is generic (code and what was being done); the database's own message, which can contain
/// customer data, is only in `debugDescription`, for operator logs.
public struct IngestStoreError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// gRPC-style codes, as the house style names them.
    public enum Code: String, Sendable, Hashable {
        /// The database is unreachable or the connection broke; the outcome of a write is unknown.
        case unavailable
        /// Too many calls are waiting for a database connection.
        case resourceExhausted
        /// A uniqueness rule was violated.
        case alreadyExists
        /// A value was rejected by the database (bad characters, out of range).
        case invalidArgument
        /// Anything else: a bug or a schema mismatch.
        case `internal`
    }

    public var code: Code
    /// A fixed description of the operation ("storing a secret").
    public var operation: String
    /// The underlying error, for `debugDescription` and tests.
    public var underlying: (any Error)?

    public init(code: Code, operation: String, underlying: (any Error)? = nil) {
        self.code = code
        self.operation = operation
        self.underlying = underlying
    }

    public var description: String {
        "storage error (\(self.code.rawValue)) while \(self.operation)"
    }

    public var debugDescription: String {
        guard let underlying = self.underlying else {
            return self.description
        }
        return "\(self.description): \(String(reflecting: underlying))"
    }
}
