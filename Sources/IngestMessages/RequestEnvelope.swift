internal import CProtobufC
internal import IngestProtoC

/// A request body on an extended connection. Flags: 1 END_STREAM (the last message of this call; every unary call
/// sets it), 2 CANCEL (the client abandons the call; no message, no reply is owed).
public struct RequestEnvelope: WireMessage {
    public static let protoName = "clickbank.rpc.v1.RequestEnvelope"

    public var message: [UInt8] = []
    /// Relative deadline in milliseconds from when the server reads the frame; 0 = none.
    public var timeoutMs: UInt32 = 0
    public var flags: UInt32 = 0

    public init() {}

    public init(message: [UInt8] = [], timeoutMs: UInt32 = 0, flags: UInt32 = 0) {
        self.message = message
        self.timeoutMs = timeoutMs
        self.flags = flags
    }
}

extension RequestEnvelope: CBackedMessage {
    typealias CMessage = Clickbank__Rpc__V1__RequestEnvelope

    static func cInit(_ message: UnsafeMutablePointer<CMessage>) {
        clickbank__rpc__v1__request_envelope__init(message)
    }

    static func cUnpack(_ count: Int, _ bytes: UnsafePointer<UInt8>?) -> UnsafeMutablePointer<CMessage>? {
        clickbank__rpc__v1__request_envelope__unpack(nil, count, bytes)
    }

    init(c message: CMessage) {
        self.message = swiftBytes(message.message)
        self.timeoutMs = message.timeout_ms
        self.flags = message.flags
    }

    func fill(_ message: inout CMessage, _ arena: inout Arena) {
        arena.bytes(self.message, into: &message.message)
        message.timeout_ms = self.timeoutMs
        message.flags = self.flags
    }

    func withBorrowedBytes<R>(_ message: UnsafeMutablePointer<CMessage>, _ body: () -> R) -> R {
        withBinaryData(self.message) { borrowed in
            message.pointee.message = borrowed
            return body()
        }
    }
}
