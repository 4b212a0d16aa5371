internal import CProtobufC
internal import IngestProtoC

/// A reply body on an extended connection. Flags: 1 END_STREAM (the call is over; the frame's status field holds
/// its gRPC status code), 2 CREDIT (the server grants `credit` more request messages of a streaming call).
public struct ReplyEnvelope: WireMessage {
    public static let protoName = "clickbank.rpc.v1.ReplyEnvelope"

    public var message: [UInt8] = []
    public var errorMessage: String = ""
    public var flags: UInt32 = 0
    public var credit: UInt32 = 0

    public init() {}

    public init(message: [UInt8] = [], errorMessage: String = "", flags: UInt32 = 0, credit: UInt32 = 0) {
        self.message = message
        self.errorMessage = errorMessage
        self.flags = flags
        self.credit = credit
    }
}

extension ReplyEnvelope: CBackedMessage {
    typealias CMessage = Clickbank__Rpc__V1__ReplyEnvelope

    static func cInit(_ message: UnsafeMutablePointer<CMessage>) {
        clickbank__rpc__v1__reply_envelope__init(message)
    }

    static func cUnpack(_ count: Int, _ bytes: UnsafePointer<UInt8>?) -> UnsafeMutablePointer<CMessage>? {
        clickbank__rpc__v1__reply_envelope__unpack(nil, count, bytes)
    }

    init(c message: CMessage) {
        self.message = swiftBytes(message.message)
        self.errorMessage = swiftString(message.error_message)
        self.flags = message.flags
        self.credit = message.credit
    }

    func fill(_ message: inout CMessage, _ arena: inout Arena) {
        arena.bytes(self.message, into: &message.message)
        message.error_message = arena.string(self.errorMessage)
        message.flags = self.flags
        message.credit = self.credit
    }

    func withBorrowedBytes<R>(_ message: UnsafeMutablePointer<CMessage>, _ body: () -> R) -> R {
        withBinaryData(self.message) { borrowed in
            message.pointee.message = borrowed
            return body()
        }
    }
}
