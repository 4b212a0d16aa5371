/// The outcome code of a call, numbered as gRPC numbers its status codes so that clients written
/// against gRPC conventions read them naturally. Extensible: unknown numbers from a newer peer survive.
public struct RPCStatusCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let ok = RPCStatusCode(rawValue: 0)
    public static let cancelled = RPCStatusCode(rawValue: 1)
    public static let unknown = RPCStatusCode(rawValue: 2)
    public static let invalidArgument = RPCStatusCode(rawValue: 3)
    public static let deadlineExceeded = RPCStatusCode(rawValue: 4)
    public static let notFound = RPCStatusCode(rawValue: 5)
    public static let alreadyExists = RPCStatusCode(rawValue: 6)
    public static let permissionDenied = RPCStatusCode(rawValue: 7)
    public static let resourceExhausted = RPCStatusCode(rawValue: 8)
    public static let failedPrecondition = RPCStatusCode(rawValue: 9)
    public static let aborted = RPCStatusCode(rawValue: 10)
    public static let outOfRange = RPCStatusCode(rawValue: 11)
    public static let unimplemented = RPCStatusCode(rawValue: 12)
    public static let `internal` = RPCStatusCode(rawValue: 13)
    public static let unavailable = RPCStatusCode(rawValue: 14)
    public static let dataLoss = RPCStatusCode(rawValue: 15)
    public static let unauthenticated = RPCStatusCode(rawValue: 16)

    public var name: String {
        switch self.rawValue {
        case 0: "OK"
        case 1: "CANCELLED"
        case 2: "UNKNOWN"
        case 3: "INVALID_ARGUMENT"
        case 4: "DEADLINE_EXCEEDED"
        case 5: "NOT_FOUND"
        case 6: "ALREADY_EXISTS"
        case 7: "PERMISSION_DENIED"
        case 8: "RESOURCE_EXHAUSTED"
        case 9: "FAILED_PRECONDITION"
        case 10: "ABORTED"
        case 11: "OUT_OF_RANGE"
        case 12: "UNIMPLEMENTED"
        case 13: "INTERNAL"
        case 14: "UNAVAILABLE"
        case 15: "DATA_LOSS"
        case 16: "UNAUTHENTICATED"
        default: "CODE_\(self.rawValue)"
        }
    }

    public var description: String { self.name }
}

/// A failed call: a status code and a message meant for the caller. Messages never contain secrets
/// or customer data; the server logs details separately.
public struct RPCError: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: RPCStatusCode
    public var message: String

    public init(_ code: RPCStatusCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(self.code.name): \(self.message)" }
}

/// Errors that know which status code they are, so handlers can throw domain errors directly.
public protocol RPCErrorConvertible: Error {
    var rpcError: RPCError { get }
}

extension RPCError: RPCErrorConvertible {
    public var rpcError: RPCError { self }
}
