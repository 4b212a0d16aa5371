internal import IngestProtoC

/// Why a call failed; carried as field 15 of every response. `code` uses gRPC's numbering (3 INVALID_ARGUMENT,
/// 5 NOT_FOUND, ...).
public struct CallError: WireMessage {
    public static let protoName = "clickbank.ingest.v1.CallError"

    public var code: UInt32 = 0
    public var message: String = ""

    public init() {}

    public init(code: UInt32 = 0, message: String = "") {
        self.code = code
        self.message = message
    }
}

extension CallError: CBackedMessage {
    typealias CMessage = Clickbank__Ingest__V1__CallError

    static func cInit(_ message: UnsafeMutablePointer<CMessage>) {
        clickbank__ingest__v1__call_error__init(message)
    }

    static func cUnpack(_ count: Int, _ bytes: UnsafePointer<UInt8>?) -> UnsafeMutablePointer<CMessage>? {
        clickbank__ingest__v1__call_error__unpack(nil, count, bytes)
    }

    init(c message: CMessage) {
        self.code = message.code
        self.message = swiftString(message.message)
    }

    func fill(_ message: inout CMessage, _ arena: inout Arena) {
        message.code = self.code
        message.message = arena.string(self.message)
    }
}
