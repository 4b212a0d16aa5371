import IngestMessages

/// The reply body a stock protobuf-c-rpc client gets for a failed call.
///
/// Every response message of the service declares `CallError error = 15`, so a message holding
/// only that field decodes as whichever response type the client expects; the client reads the
/// code and message from it instead of the bare "failed" that a SERVICE_FAILED frame would give.
enum StockError {
    static func body(for error: RPCError) -> [UInt8] {
        var callError = CallError()
        callError.code = error.code.rawValue
        callError.message = error.message
        var carrier = HealthCheckResponse()
        carrier.error = callError
        return carrier.serializedBytes()
    }
}
