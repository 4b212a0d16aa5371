import IngestStore
public import RPCCore

/// Errors of the service's methods, each with the status code a caller sees. Messages say how to
/// fix the input and never contain secrets or customer data.
public struct ServiceError: Error, RPCErrorConvertible, CustomStringConvertible {
    public var rpcError: RPCError

    public init(_ code: RPCStatusCode, _ message: String) {
        self.rpcError = RPCError(code, message)
    }

    public var description: String { self.rpcError.description }

    static func invalidArgument(_ message: String) -> ServiceError { ServiceError(.invalidArgument, message) }
    static func notFound(_ message: String) -> ServiceError { ServiceError(.notFound, message) }
    static func failedPrecondition(_ message: String) -> ServiceError { ServiceError(.failedPrecondition, message) }
    /// The database could not be reached or refused the write: retryable, and nothing was recorded
    /// as a success.
    static func storeUnavailable() -> ServiceError {
        ServiceError(.unavailable, "the database is unavailable; nothing was stored, retry later")
    }

    /// `error.description` names only the code and the operation, never values.
    static func storeInternal(_ error: IngestStoreError) -> ServiceError {
        ServiceError(.internal, "internal error: \(error) (the server log has the details)")
    }
}
