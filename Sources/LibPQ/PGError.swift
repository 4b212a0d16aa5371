/// An error from PostgreSQL or from the libpq wrapper.
///
/// `description` is deliberately generic: it names the kind of failure and the SQLSTATE, never the server's
/// message, because PostgreSQL messages routinely echo data ("invalid input syntax for type integer: \"…\"",
/// "Key (token)=(…) already exists") and errors end up in logs and RPC replies. Operators get the server's
/// words through `serverMessage` and `debugDescription`, which must only go to operator logs.
public struct PGError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What went wrong, at a level callers can act on.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private let name: String

        private init(_ name: String) {
            self.name = name
        }

        /// Could not open (or re-open) a connection: the database is unreachable or refused us.
        public static let connectionFailed = Kind("connectionFailed")
        /// The connection broke while (or before) a call ran; the statement's outcome is unknown.
        public static let connectionLost = Kind("connectionLost")
        /// The server rejected a statement; see `sqlState`.
        public static let queryFailed = Kind("queryFailed")
        /// A parameter could not be sent (for example a text value containing a NUL character).
        public static let invalidParameter = Kind("invalidParameter")
        /// The server answered with something the call did not expect (e.g. a COPY statement that did not start COPY).
        public static let unexpectedResult = Kind("unexpectedResult")
        /// A COPY was aborted, by the producer throwing or by the server.
        public static let copyFailed = Kind("copyFailed")
        /// The transaction was aborted by an earlier failed statement and was rolled back.
        public static let transactionAborted = Kind("transactionAborted")
        /// The connection was used in a way the wrapper does not allow (closed, nested transaction, …).
        public static let misuse = Kind("misuse")
        /// The pool's wait queue is full; retry later.
        public static let poolExhausted = Kind("poolExhausted")
        /// The pool is shut down and accepts no more work.
        public static let poolShutdown = Kind("poolShutdown")

        public var description: String {
            self.name
        }
    }

    /// What went wrong.
    public var kind: Kind
    /// The five-character SQLSTATE the server reported, if any (`PG_DIAG_SQLSTATE`).
    public var sqlState: String?
    /// The server's (or libpq's) primary message. May contain data values: for operator logs only.
    public var serverMessage: String?
    /// The server's DETAIL field. May contain data values: for operator logs only.
    public var serverDetail: String?
    /// A fixed description of what the wrapper was doing ("executing a statement"); never contains values.
    public var operation: String
    /// The underlying error, e.g. what a COPY producer threw.
    public var cause: (any Error)?

    public init(
        kind: Kind,
        operation: String,
        sqlState: String? = nil,
        serverMessage: String? = nil,
        serverDetail: String? = nil,
        cause: (any Error)? = nil
    ) {
        self.kind = kind
        self.operation = operation
        self.sqlState = sqlState
        self.serverMessage = serverMessage
        self.serverDetail = serverDetail
        self.cause = cause
    }

    /// `true` for SQLSTATE 23505 (unique_violation).
    public var isUniqueViolation: Bool {
        self.sqlState == "23505"
    }

    /// `true` when the failure is about the connection rather than the statement: the connection could not be
    /// opened or broke (SQLSTATE class 08, or the server shutting the session down, 57P01-57P03). The outcome
    /// of a write that failed this way is unknown, so callers must not assume it did not happen.
    public var isConnectionError: Bool {
        if self.kind == .connectionFailed || self.kind == .connectionLost {
            return true
        }
        guard let state = self.sqlState else {
            return false
        }
        return state.hasPrefix("08") || state == "57P01" || state == "57P02" || state == "57P03"
    }

    /// Generic and safe to show anywhere: kind, SQLSTATE and its condition name, never values.
    public var description: String {
        var text = "PostgreSQL error (\(self.kind)) while \(self.operation)"
        if let state = self.sqlState {
            text += ", SQLSTATE \(state)"
            if let name = Self.conditionNames[state] {
                text += " (\(name))"
            }
        }
        return text
    }

    /// For operators: includes the server's message and detail, which can contain data values.
    public var debugDescription: String {
        var text = self.description
        if let message = self.serverMessage {
            text += ": \(message)"
        }
        if let detail = self.serverDetail {
            text += " DETAIL: \(detail)"
        }
        if let cause = self.cause {
            text += " cause: \(String(reflecting: cause))"
        }
        return text
    }

    /// Names of the conditions callers meet most, so generic descriptions stay readable.
    private static let conditionNames: [String: String] = [
        "23505": "unique_violation",
        "23503": "foreign_key_violation",
        "23502": "not_null_violation",
        "23514": "check_violation",
        "22P02": "invalid_text_representation",
        "22001": "string_data_right_truncation",
        "22003": "numeric_value_out_of_range",
        "40001": "serialization_failure",
        "40P01": "deadlock_detected",
        "42601": "syntax_error",
        "42P01": "undefined_table",
        "42703": "undefined_column",
        "25P02": "in_failed_sql_transaction",
        "57014": "query_canceled",
        "57P01": "admin_shutdown",
        "57P02": "crash_shutdown",
        "57P03": "cannot_connect_now",
        "08000": "connection_exception",
        "08003": "connection_does_not_exist",
        "08006": "connection_failure",
        "53300": "too_many_connections",
    ]
}
